import { expect, test, type APIRequestContext } from "@playwright/test";

import { generateKey, keyChecksum } from "../../lib/keys/format";
import { issueKey, revokeKey, type KeySettings } from "../../lib/keys/service";
import { e2eDb } from "../helpers/e2e-database";
import { rawRequest } from "../helpers/raw-http";

// The verification path over HTTP, exactly as a developer calling the API sees it
// (DESIGN.md sections 4, 6, 9 and 14).

const system = { type: "system" as const, id: null };
// The e2e server trusts one proxy hop, so each test can speak from an address of its own
// (random: a worker restarted after a failure must not reuse a throttled one).
function from() {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return { "x-forwarded-for": `10.${octet()}.${octet()}.${octet()}` };
}

async function newKey(input: Partial<KeySettings> = {}) {
  return issueKey(e2eDb(), { name: "e2e", ...input }, system);
}

// Keys cannot be issued already expired, so time is moved on for this one in the database.
async function expiredKey() {
  const issued = await newKey();
  await e2eDb().apiKey.update({ where: { id: issued.record.id }, data: { expiresAt: new Date(Date.now() - 1000) } });
  return issued;
}

async function whoami(request: APIRequestContext, headers: Record<string, string>, path = "/api/v1/whoami") {
  const response = await request.get(path, { headers });
  return { status: response.status(), headers: response.headers(), body: await response.json() };
}

function expectError(result: { status: number; body: { error?: { code: string; message: string } } }, status: number, code: string) {
  expect(result.status).toBe(status);
  expect(result.body.error?.code).toBe(code);
  expect(result.body.error?.message).toEqual(expect.any(String));
}

test.describe("whoami", () => {
  test("answers the key's identity for Bearer and X-API-Key, and lowercase header names", async ({ request }) => {
    const { key, record } = await newKey({ ownerId: "cus_42", scopes: [], environment: "test" });
    const identity = {
      keyId: record.id,
      name: "e2e",
      ownerId: "cus_42",
      environment: "test",
      scopes: [],
      expiresAt: null,
      ratelimit: null,
    };
    const presentations: Record<string, string>[] = [
      { Authorization: `Bearer ${key}` },
      { "X-API-Key": key },
      { authorization: `bearer ${key}` },
      { "x-api-key": key },
    ];
    for (const headers of presentations) {
      const result = await whoami(request, { ...from(), ...headers });
      expect(result.status).toBe(200);
      expect(result.body).toEqual(identity);
      expect(result.headers["cache-control"]).toBe("no-store");
    }
  });

  test("no key: 401 missing_key with WWW-Authenticate", async ({ request }) => {
    const result = await whoami(request, from());
    expectError(result, 401, "missing_key");
    expect(result.headers["www-authenticate"]).toMatch(/^Bearer/);
  });

  test("malformed, wrong checksum and unknown keys: 401 invalid_key", async ({ request }) => {
    const { key } = await newKey();
    const flipped = key.slice(0, 20) + (key[20] === "a" ? "b" : "a") + key.slice(21);
    const body = "kh_live_" + "A".repeat(32);
    for (const candidate of ["not-a-key", flipped, body + "000000", generateKey("live"), `${body}${keyChecksum(body)}x`]) {
      const result = await whoami(request, { ...from(), authorization: `Bearer ${candidate}` });
      expectError(result, 401, "invalid_key");
      expect(result.headers["www-authenticate"]).toMatch(/^Bearer/);
    }
  });

  test("expired and revoked keys: 401 expired_key and revoked_key", async ({ request }) => {
    const expired = await expiredKey();
    expectError(await whoami(request, { ...from(), "x-api-key": expired.key }), 401, "expired_key");

    const revoked = await newKey();
    expect((await whoami(request, { ...from(), "x-api-key": revoked.key })).status).toBe(200);
    // Revoked from this process, the server hears of it by NOTIFY (within a second, DESIGN.md
    // section 9; tests/e2e/instances.spec.ts times that): until then its cache may answer 200.
    await revokeKey(e2eDb(), revoked.record.id, "leaked", system);
    await expect.poll(async () => (await whoami(request, { ...from(), "x-api-key": revoked.key })).status, { intervals: [50] }).toBe(401);
    expectError(await whoami(request, { ...from(), "x-api-key": revoked.key }), 401, "revoked_key");
  });

  test("a key in the query string: 400 key_in_query, even with a valid header", async ({ request }) => {
    const { key } = await newKey();
    for (const name of ["api_key", "apikey", "key", "token"]) {
      expectError(await whoami(request, { ...from(), "x-api-key": key }, `/api/v1/whoami?${name}=${key}`), 400, "key_in_query");
    }
  });

  test("two different keys in the headers: 400 ambiguous_key; the same key twice is fine", async ({ request }) => {
    const one = await newKey();
    const two = await newKey();
    expectError(await whoami(request, { ...from(), authorization: `Bearer ${one.key}`, "x-api-key": two.key }), 400, "ambiguous_key");
    expect((await whoami(request, { ...from(), authorization: `Bearer ${one.key}`, "x-api-key": one.key })).status).toBe(200);
  });

  test("rate limit: exact count, then 429 with Retry-After and RateLimit headers, and no quota spent", async ({ request }) => {
    const { key, record } = await newKey({ ratelimit: { limit: 3, windowMs: 60_000 }, remaining: 100 });
    const headers = { ...from(), "x-api-key": key };
    for (let i = 0; i < 3; i++) {
      const ok = await whoami(request, headers);
      expect(ok.status).toBe(200);
      expect(ok.headers["ratelimit-limit"]).toBe("3");
      expect(ok.headers["ratelimit-remaining"]).toBe(String(2 - i));
      expect(Number(ok.headers["ratelimit-reset"])).toBeGreaterThanOrEqual(1);
      expect(ok.body.ratelimit).toEqual({ limit: 3, windowMs: 60_000 });
    }
    const limited = await whoami(request, headers);
    expectError(limited, 429, "rate_limited");
    const retryAfter = Number(limited.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(limited.headers["ratelimit-remaining"]).toBe("0");
    expect(limited.headers["ratelimit-reset"]).toBe(String(retryAfter));
    // Three uses spent three credits; the refused one spent none. The instance leases credits in
    // batches (DESIGN.md 15.3: at most 5% of what is left), so the row is exact to within the lease.
    const row = await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } });
    expect(row.remaining).toBeLessThanOrEqual(97);
    expect(row.remaining).toBeGreaterThanOrEqual(97 - 5);
  });

  test("quota: spent exactly, then 429 quota_exceeded and never below zero", async ({ request }) => {
    const { key, record } = await newKey({ remaining: 2 });
    const headers = { ...from(), "x-api-key": key };
    expect((await whoami(request, headers)).status).toBe(200);
    expect((await whoami(request, headers)).status).toBe(200);
    expectError(await whoami(request, headers), 429, "quota_exceeded");
    expectError(await whoami(request, headers), 429, "quota_exceeded");
    expect((await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).remaining).toBe(0);
  });

  test("a quota of 5 under 50 concurrent requests gives exactly 5 successes", async ({ request }) => {
    const { key, record } = await newKey({ remaining: 5 });
    const headers = { ...from(), "x-api-key": key };
    const results = await Promise.all(Array.from({ length: 50 }, () => request.get("/api/v1/whoami", { headers })));
    const statuses = results.map((response) => response.status());
    expect(statuses.filter((status) => status === 200)).toHaveLength(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(45);
    expect((await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).remaining).toBe(0);
  });
});

test.describe("bad input in the headers gets a clear error and changes nothing", () => {
  test("a 10 KB header, an empty bearer, Bearer with extra spaces, another scheme", async ({ request }) => {
    const { key, record } = await newKey({ remaining: 10 });
    expectError(await whoami(request, { ...from(), "x-api-key": "k".repeat(10 * 1024) }), 401, "invalid_key");
    expectError(await whoami(request, { ...from(), authorization: `Bearer ${key}${"x".repeat(10 * 1024)}` }), 401, "invalid_key");
    expectError(await whoami(request, { ...from(), authorization: "Bearer" }), 401, "missing_key");
    expectError(await whoami(request, { ...from(), "x-api-key": "" }), 401, "missing_key");
    const spaced = await whoami(request, { ...from(), authorization: `Bearer  ${key}` });
    expectError(spaced, 401, "invalid_key");
    expect(spaced.body.error.message).toMatch(/one space/);
    expectError(await whoami(request, { ...from(), authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }), 401, "invalid_key");
    expect((await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).remaining).toBe(10);
  });

  test("non-ASCII bytes in the key: 401 invalid_key", async ({ baseURL }) => {
    const { key } = await newKey();
    const port = Number(new URL(baseURL!).port);
    const tampered = key.slice(0, 30) + "\u00e9" + key.slice(31);
    const result = await rawRequest(port, `GET /api/v1/whoami HTTP/1.0\r\nX-Forwarded-For: 198.51.100.250\r\nX-API-Key: ${tampered}\r\n\r\n`);
    expect(result.status).toBe(401);
    expect(JSON.parse(result.body).error.code).toBe("invalid_key");
  });

  test("a key with a trailing newline: refused by the HTTP parser in a header, invalid in a verify body", async ({ request, baseURL }) => {
    const { key } = await newKey();
    const port = Number(new URL(baseURL!).port);
    const raw = await rawRequest(port, `GET /api/v1/whoami HTTP/1.0\r\nX-API-Key: ${key}\n\r\n\r\n`);
    expect(raw.status === 400 || raw.status === 401 || raw.status === 200).toBe(true);
    const root = await newKey({ scopes: ["keys:verify"] });
    const verified = await request.post("/api/v1/keys/verify", { headers: { ...from(), "x-api-key": root.key }, data: { key: `${key}\n` } });
    expect(await verified.json()).toEqual({ valid: false, code: "invalid_key" });
  });
});

test.describe("invalid-key throttling", () => {
  test("an address sending invalid keys is refused with 429 after 20, before any lookup; others are not", async ({ request }) => {
    const attacker = from();
    for (let i = 0; i < 20; i++) {
      expectError(await whoami(request, { ...attacker, "x-api-key": generateKey("live") }), 401, "invalid_key");
    }
    const blocked = await whoami(request, { ...attacker, "x-api-key": generateKey("live") });
    expectError(blocked, 429, "rate_limited");
    const retryAfter = Number(blocked.headers["retry-after"]);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);

    const { key } = await newKey();
    expectError(await whoami(request, { ...attacker, "x-api-key": key }), 429, "rate_limited");
    expect((await whoami(request, { ...from(), "x-api-key": key })).status).toBe(200);
  });

  test("expired and revoked keys, and keys sent in a verify body, do not count as invalid", async ({ request }) => {
    const client = from();
    const expired = await expiredKey();
    for (let i = 0; i < 25; i++) expectError(await whoami(request, { ...client, "x-api-key": expired.key }), 401, "expired_key");
    const root = await newKey({ scopes: ["keys:verify"] });
    for (let i = 0; i < 25; i++) {
      const response = await request.post("/api/v1/keys/verify", { headers: { ...client, "x-api-key": root.key }, data: { key: generateKey("live") } });
      expect(await response.json()).toEqual({ valid: false, code: "invalid_key" });
    }
    const { key } = await newKey();
    expect((await whoami(request, { ...client, "x-api-key": key })).status).toBe(200);
  });

  test("a spoofed X-Forwarded-For beyond the trusted hop does not change the address", async ({ request }) => {
    const real = "198.51.100.200";
    for (let i = 0; i < 20; i++) {
      await whoami(request, { "x-forwarded-for": `10.0.0.${i}, ${real}`, "x-api-key": generateKey("live") });
    }
    expectError(await whoami(request, { "x-forwarded-for": `10.9.9.9, ${real}`, "x-api-key": generateKey("live") }), 429, "rate_limited");
  });
});

test.describe("POST /api/v1/keys/verify", () => {
  test("answers valid with the key's fields, or valid:false with the code, and checks scopes", async ({ request }) => {
    const root = await newKey({ scopes: ["keys:verify"] });
    const { key, record } = await newKey({
      ownerId: "cus_7",
      scopes: ["keys:read"],
      meta: { plan: "pro" },
      ratelimit: { limit: 100, windowMs: 1000 },
      remaining: 50,
    });
    const headers = { ...from(), authorization: `Bearer ${root.key}` };
    const ok = await request.post("/api/v1/keys/verify", { headers, data: { key } });
    expect(ok.status()).toBe(200);
    expect(await ok.json()).toEqual({
      valid: true,
      keyId: record.id,
      ownerId: "cus_7",
      name: "e2e",
      environment: "live",
      scopes: ["keys:read"],
      meta: { plan: "pro" },
      expiresAt: null,
      ratelimit: { limit: 100, windowMs: 1000 },
      remaining: 49,
    });
    const missing = await request.post("/api/v1/keys/verify", { headers, data: { key, scopes: ["keys:read", "keys:write"] } });
    expect(await missing.json()).toEqual({ valid: false, code: "insufficient_scope" });
    await revokeKey(e2eDb(), record.id, null, system);
    await expect
      .poll(async () => (await request.post("/api/v1/keys/verify", { headers, data: { key } })).json(), { intervals: [50] })
      .toEqual({ valid: false, code: "revoked_key" });
  });

  test("a key without keys:verify is refused with 403 insufficient_scope naming the scope", async ({ request }) => {
    const plain = await newKey();
    const response = await request.post("/api/v1/keys/verify", { headers: { ...from(), "x-api-key": plain.key }, data: { key: plain.key } });
    expect(response.status()).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: "insufficient_scope", details: { required: ["keys:verify"] } } });
  });

  test("bad bodies: invalid JSON, wrong types, unknown fields, oversized", async ({ request }) => {
    const root = await newKey({ scopes: ["keys:verify"] });
    const headers = { ...from(), "x-api-key": root.key, "content-type": "application/json" };
    const cases: [string, number, string, RegExp?][] = [
      ["{not json", 400, "bad_request", /not valid JSON/],
      [JSON.stringify({ key: 42 }), 400, "bad_request", /key/],
      [JSON.stringify({ key: "x", extra: true }), 400, "bad_request", /extra/],
      [JSON.stringify({ key: "x".repeat(70 * 1024) }), 413, "payload_too_large"],
      ["", 400, "bad_request"],
      ["[]", 400, "bad_request"],
    ];
    for (const [text, status, code, message] of cases) {
      // A Buffer is sent as is; a string would be JSON-encoded again by Playwright.
      const response = await request.post("/api/v1/keys/verify", { headers, data: Buffer.from(text) });
      expect(response.status()).toBe(status);
      const body = await response.json();
      expect(body.error.code).toBe(code);
      if (message) expect(body.error.message).toMatch(message);
    }
  });
});

test("every verification becomes a usage event with its outcome, and rollups count them", async ({ request }) => {
  const { key, record } = await newKey({ ratelimit: { limit: 2, windowMs: 60_000 } });
  const headers = { ...from(), "x-api-key": key };
  for (let i = 0; i < 3; i++) await whoami(request, headers);
  await expect.poll(async () => e2eDb().usageEvent.count({ where: { keyId: record.id } }), { timeout: 5_000 }).toBe(3);
  const events = await e2eDb().usageEvent.findMany({ where: { keyId: record.id }, orderBy: { id: "asc" } });
  expect(events.map((event) => [event.outcome, event.status, event.method, event.path])).toEqual([
    ["valid", 200, "GET", "/api/v1/whoami"],
    ["valid", 200, "GET", "/api/v1/whoami"],
    ["rate_limited", 429, "GET", "/api/v1/whoami"],
  ]);
  expect(events.every((event) => event.ip === headers["x-forwarded-for"])).toBe(true);
  const rollups = await e2eDb().usageRollup.findMany({ where: { keyId: record.id } });
  expect(Object.fromEntries(rollups.map((rollup) => [rollup.outcome, rollup.count]))).toEqual({ valid: 2, rate_limited: 1 });
});

test("unknown /api paths answer the JSON error contract", async ({ request }) => {
  const response = await request.get("/api/v1/nothing-here");
  expect(response.status()).toBe(404);
  expect(await response.json()).toMatchObject({ error: { code: "not_found" } });
});
