import { createHmac, timingSafeEqual } from "node:crypto";

// A Standard Webhooks verifier written from the spec (https://www.standardwebhooks.com,
// "Verifying webhook authenticity"), not from Keyhold's signing code, so a mistake there
// cannot hide in here: the signed content is `${webhook-id}.${webhook-timestamp}.${body}`, the
// HMAC-SHA256 key is the base64 after `whsec_`, webhook-signature is a space-separated list of
// `v1,<base64>` entries, and a timestamp more than 5 minutes off is refused (replay protection).

const TOLERANCE_SECONDS = 5 * 60;

export function verifyStandardWebhook(secret: string, headers: Record<string, string | undefined>, body: string, nowSeconds = Date.now() / 1000): boolean {
  const id = headers["webhook-id"];
  const timestamp = headers["webhook-timestamp"];
  const signatures = headers["webhook-signature"];
  if (!id || !timestamp || !signatures || !secret.startsWith("whsec_")) return false;
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > TOLERANCE_SECONDS) return false;
  const key = Buffer.from(secret.slice("whsec_".length), "base64");
  const expected = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest();
  return signatures.split(" ").some((entry) => {
    const [version, signature] = entry.split(",", 2);
    if (version !== "v1" || !signature) return false;
    const given = Buffer.from(signature, "base64");
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
}
