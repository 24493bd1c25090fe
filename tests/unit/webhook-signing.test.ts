import { describe, expect, it } from "vitest";

import { GIVE_UP_AFTER_MS, retryDelayMs } from "../../lib/webhooks/delivery-worker";
import { createSecretBox, generateWebhookSecret } from "../../lib/webhooks/secret-box";
import { signWebhook } from "../../lib/webhooks/sign-webhook";
import { isPublicAddress } from "../../lib/webhooks/ssrf-guard";
import { verifyStandardWebhook } from "../helpers/standard-webhooks-verifier";

// Standard Webhooks signing, sealed secrets, the retry schedule and which addresses count as
// public (DESIGN.md section 15.5).

describe("signWebhook", () => {
  it("matches the Standard Webhooks reference example", () => {
    // The example of the specification's reference libraries (github.com/standard-webhooks).
    const headers = signWebhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}');
    expect(headers["webhook-signature"]).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("is accepted by the independent verifier, and refused when replayed after 5 minutes", () => {
    const secret = generateWebhookSecret();
    const now = Math.floor(Date.now() / 1000);
    const headers = signWebhook(secret, "whd_x", now, '{"type":"key.created"}');
    expect(verifyStandardWebhook(secret, headers, '{"type":"key.created"}', now)).toBe(true);
    expect(verifyStandardWebhook(secret, headers, '{"type":"key.created"}', now + 301)).toBe(false);
  });
});

describe("sealed secrets", () => {
  it("open only under the same NEXTAUTH_SECRET, and never hold the plaintext", () => {
    const secret = generateWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const box = createSecretBox("a".repeat(40));
    const sealed = box.seal(secret);
    expect(sealed).not.toContain(secret.slice(6));
    expect(box.seal(secret)).not.toBe(sealed);
    expect(box.open(sealed)).toBe(secret);
    expect(() => createSecretBox("b".repeat(40)).open(sealed)).toThrow();
    expect(() => box.open(sealed.replace(/.$/, (last) => (last === "A" ? "B" : "A")))).toThrow();
    expect(() => createSecretBox(undefined)).toThrow(/NEXTAUTH_SECRET/);
  });
});

describe("retry schedule", () => {
  it("doubles from the first delay up to 6 hours, and covers 24 hours in 16 attempts", () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelayMs(attempt, 5_000))).toEqual([5_000, 10_000, 20_000, 40_000]);
    expect(retryDelayMs(30, 5_000)).toBe(6 * 3_600_000);
    let elapsed = 0;
    let attempts = 0;
    while (elapsed < GIVE_UP_AFTER_MS) elapsed += retryDelayMs(++attempts, 5_000);
    console.log(`attempts within 24 hours at a 5 s first delay: ${attempts}`);
    expect(attempts).toBeGreaterThan(10);
    expect(attempts).toBeLessThan(25);
  });
});

describe("isPublicAddress", () => {
  it("refuses loopback, private, link-local, metadata, CGNAT, unique-local and mapped forms of them", () => {
    for (const address of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "::1",
      "fe80::1",
      "fd00:ec2::254",
      "::ffff:127.0.0.1",
      "::ffff:10.0.0.1",
      "64:ff9b::a00:1",
      "not an ip",
    ]) {
      expect(isPublicAddress(address), address).toBe(false);
    }
    for (const address of ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:93.184.215.14"]) expect(isPublicAddress(address), address).toBe(true);
  });
});
