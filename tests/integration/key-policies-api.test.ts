import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import * as rotateRoute from "../../app/api/v1/keys/[id]/rotate/route";
import * as keyRoute from "../../app/api/v1/keys/[id]/route";
import * as keysRoute from "../../app/api/v1/keys/route";
import * as verifyRoute from "../../app/api/v1/keys/verify/route";
import * as whoamiRoute from "../../app/api/v1/whoami/route";
import { defineRoute } from "../../lib/api/contract/route-contract";
import { contracts } from "../../lib/api/contract/routes";
import { withApiKey } from "../../lib/api/with-api-key";
import { getDb } from "../../lib/db/client";
import { issueKey } from "../../lib/keys/service";
import { usageSeries } from "../../lib/usage/query-usage";
import { getUsageRecorder } from "../../lib/usage/recorder";
import { callRoute, type RouteCall } from "../helpers/route-call";

// The client address rules under test: one proxy in front, at 10.0.0.2. Set before anything reads
// the configuration (lib/env.ts reads it once).
process.env.KEYHOLD_TRUSTED_PROXIES = "10.0.0.2/32";

// DESIGN.md sections 15.3 and 15.4 through the HTTP API's own handlers: refill and ipAllowlist on
// the key record (create, PATCH, rotate), `cost` and `ip` on the verify endpoint, allowlists on
// every protected route honouring the client address rules, and bad input refused with 400
// naming the field while nothing changes.

const system = { type: "system" as const, id: null };
let root: string;
let db: pg.Client;

beforeAll(async () => {
  ({ key: root } = await issueKey(getDb(), { name: "root", scopes: ["keys:read", "keys:write", "keys:verify"] }, system));
  db = new pg.Client({ connectionString: process.env.DATABASE_URL });
  await db.connect();
});

afterAll(async () => {
  await db.end();
  await getDb().$disconnect();
});

const create = (body: unknown) => callRoute(keysRoute.POST, "POST", "/api/v1/keys", { key: root, body });
const patch = (id: string, body: unknown) => callRoute(keyRoute.PATCH, "PATCH", `/api/v1/keys/${id}`, { key: root, body, params: { id } });
const read = (id: string) => callRoute(keyRoute.GET, "GET", `/api/v1/keys/${id}`, { key: root, params: { id } });
const verify = (body: unknown) => callRoute(verifyRoute.POST, "POST", "/api/v1/keys/verify", { key: root, body });
const whoami = (call: RouteCall) => callRoute(whoamiRoute.GET, "GET", "/api/v1/whoami", call);
// Other test files share the database, so "nothing made" is counted by a name of this test's own.
const keysNamed = async (name: string) => Number((await db.query<{ n: string }>("SELECT count(*) AS n FROM api_keys WHERE name = $1", [name])).rows[0]!.n);

describe("key policies on the key record", () => {
  it("creates a key with a refill and an allowlist: 19 fields, the quota starting at the amount, entries normalised", async () => {
    const created = await create({
      name: "policies",
      refill: { interval: "daily", amount: 1000 },
      ipAllowlist: ["10.1.2.3/8", "2001:DB8::/32", "::ffff:192.0.2.1", "10.0.0.0/8"],
    });

    expect(created.status).toBe(201);
    expect(Object.keys(created.body).filter((field) => field !== "key")).toHaveLength(19);
    expect(created.body).toMatchObject({
      remaining: 1000,
      refill: { interval: "daily", amount: 1000 },
      ipAllowlist: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"],
    });
  });

  it("clears the refill with the quota, starts a quota at a refill's amount, and keeps both through a rotation", async () => {
    const { body: plain } = await create({ name: "plain" });
    const id = plain.id as string;
    expect((await patch(id, { refill: { interval: "monthly", amount: 50 } })).body).toMatchObject({
      remaining: 50,
      refill: { interval: "monthly", amount: 50 },
    });
    expect((await patch(id, { ipAllowlist: ["203.0.113.0/24"] })).body).toMatchObject({ ipAllowlist: ["203.0.113.0/24"] });

    const rotated = await callRoute(rotateRoute.POST, "POST", `/api/v1/keys/${id}/rotate`, { key: root, body: {}, params: { id } });
    expect(rotated.status).toBe(201);
    expect(rotated.body).toMatchObject({ remaining: 50, refill: { interval: "monthly", amount: 50 }, ipAllowlist: ["203.0.113.0/24"] });

    expect((await patch(id, { remaining: null })).body).toMatchObject({ remaining: null, refill: null });
  });

  const badCreates: [string, unknown, string][] = [
    ["a CIDR prefix past 32 bits", { ipAllowlist: ["10.0.0.0/33"] }, "ipAllowlist.0"],
    ["a hostname", { ipAllowlist: ["10.0.0.1", "api.example.com"] }, "ipAllowlist.1"],
    ["101 entries", { ipAllowlist: Array.from({ length: 101 }, (_, i) => `10.0.${i}.1`) }, "ipAllowlist"],
    ["a refill of 0", { refill: { interval: "daily", amount: 0 } }, "refill.amount"],
    ["a weekly refill", { refill: { interval: "weekly", amount: 10 } }, "refill.interval"],
  ];

  it.each(badCreates)("refuses to create a key with %s: 400 naming the field, no key made", async (_, fields, name) => {
    const keyName = `refused ${name} ${Math.random()}`;
    const response = await create({ name: keyName, ...(fields as object) });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "bad_request" });
    expect((response.body.error as { message: string }).message).toContain(name);
    expect(await keysNamed(keyName)).toBe(0);
  });

  it.each(badCreates)("refuses to PATCH a key with %s, leaving it as it was", async (_, fields, name) => {
    const { body: key } = await create({ name: "target", ipAllowlist: ["198.51.100.0/24"], remaining: 5 });
    const response = await patch(key.id as string, fields);
    expect(response.status).toBe(400);
    expect((response.body.error as { code: string; message: string }).message).toContain(name);
    expect((await read(key.id as string)).body).toEqual(Object.fromEntries(Object.entries(key).filter(([field]) => field !== "key")));
  });

  it("refuses a refill while clearing the quota in the same PATCH", async () => {
    const { body: key } = await create({ name: "target", remaining: 5 });
    const response = await patch(key.id as string, { remaining: null, refill: { interval: "daily", amount: 5 } });
    expect(response.status).toBe(400);
    expect((response.body.error as { message: string }).message).toContain("refill");
    expect((await read(key.id as string)).body).toMatchObject({ remaining: 5, refill: null });
  });
});

describe("the verify endpoint's ip and cost", () => {
  it("checks the ip against the allowlist: IPv4, IPv6, CIDR and IPv4-mapped addresses; none given is ip_not_allowed", async () => {
    const { body: target } = await create({ name: "listed", ipAllowlist: ["203.0.113.7", "10.0.0.0/8", "2001:db8::/32"] });
    const key = target.key as string;
    const codeFor = async (ip?: string) => {
      const { status, body } = await verify({ key, ...(ip === undefined ? {} : { ip }) });
      expect(status).toBe(200);
      return body.valid === true ? "valid" : body.code;
    };

    expect(await codeFor("203.0.113.7")).toBe("valid");
    expect(await codeFor("10.250.0.1")).toBe("valid");
    expect(await codeFor("2001:db8:1::42")).toBe("valid");
    expect(await codeFor("::ffff:10.1.1.1")).toBe("valid");
    expect(await codeFor("203.0.113.8")).toBe("ip_not_allowed");
    expect(await codeFor("2001:db9::1")).toBe("ip_not_allowed");
    expect(await codeFor()).toBe("ip_not_allowed");
  });

  it("spends the cost from the quota, refuses a cost above what is left without spending, and records the cost", async () => {
    const { body: target } = await create({ name: "metered", remaining: 10 });
    const key = target.key as string;

    expect((await verify({ key, cost: 4 })).body).toMatchObject({ valid: true, remaining: 6 });
    expect((await verify({ key, cost: 7 })).body).toEqual({ valid: false, code: "quota_exceeded" });
    expect((await verify({ key, cost: 6 })).body).toMatchObject({ valid: true, remaining: 0 });

    await getUsageRecorder().flush();
    const { rows } = await db.query<{ outcome: string; cost: number }>("SELECT outcome, cost FROM usage_events WHERE key_id = $1 ORDER BY id", [target.id]);
    expect(rows).toEqual([
      { outcome: "valid", cost: 4 },
      { outcome: "quota_exceeded", cost: 7 },
      { outcome: "valid", cost: 6 },
    ]);
    // The derived tables the charts read count credits as well as requests.
    const hours = await db.query<{ outcome: string; requests: number; credits: number }>(
      "SELECT outcome, sum(requests)::int AS requests, sum(credits)::int AS credits FROM usage_key_hours WHERE key_id = $1 GROUP BY outcome ORDER BY outcome",
      [target.id],
    );
    expect(hours.rows).toEqual([
      { outcome: "quota_exceeded", requests: 1, credits: 7 },
      { outcome: "valid", requests: 2, credits: 10 },
    ]);
    const to = new Date(Date.now() + 3_600_000);
    const series = await usageSeries(getDb(), {
      keyId: target.id as string,
      from: new Date(to.getTime() - 86_400_000),
      to,
      granularity: "day",
      measure: "credits",
    });
    expect(series.flatMap((point) => Object.entries(point.counts))).toEqual([
      ["quota_exceeded", 7],
      ["valid", 10],
    ]);
  });

  it.each([
    ["cost 0", { cost: 0 }, "cost"],
    ["cost 1001", { cost: 1001 }, "cost"],
    ["a fractional cost", { cost: 1.5 }, "cost"],
    ["a hostname as ip", { ip: "client.example.com" }, "ip"],
  ])("refuses %s with 400 naming the field, spending nothing", async (_, fields, name) => {
    const { body: target } = await create({ name: "metered", remaining: 10 });
    const response = await verify({ key: target.key, ...fields });
    expect(response.status).toBe(400);
    expect(response.body.error).toMatchObject({ code: "bad_request", message: `Invalid field: ${name}.` });
    expect((await verify({ key: target.key })).body).toMatchObject({ valid: true, remaining: 9 });
  });
});

describe("allowlists on protected routes", () => {
  it("answers 403 ip_not_allowed from elsewhere, before the rate limit and quota are spent", async () => {
    const { body: target } = await create({ name: "listed", ipAllowlist: ["198.51.100.0/24", "2001:db8::/32"], remaining: 1 });
    const key = target.key as string;

    const refused = await whoami({ key, socketIp: "203.0.113.9" });
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: { code: "ip_not_allowed", message: "The API key may not be used from this address." } });
    expect((await whoami({ key, socketIp: "::ffff:198.51.100.20" })).status).toBe(200);
    expect((await whoami({ key, socketIp: "2001:db8::1" })).status).toBe(429);
  });

  it("takes the client address from X-Forwarded-For when the socket is the trusted proxy", async () => {
    const { body: target } = await create({ name: "behind-proxy", ipAllowlist: ["198.51.100.0/24"] });
    const key = target.key as string;

    expect((await whoami({ key, socketIp: "10.0.0.2", headers: { "x-forwarded-for": "198.51.100.7" } })).status).toBe(200);
    expect((await whoami({ key, socketIp: "10.0.0.2", headers: { "x-forwarded-for": "203.0.113.9" } })).body).toMatchObject({
      error: { code: "ip_not_allowed" },
    });
    // The proxy's own address is not the client's.
    expect((await whoami({ key, socketIp: "10.0.0.2" })).status).toBe(403);
    // Anyone else naming an allowed address in X-Forwarded-For is judged by their own.
    expect((await whoami({ key, socketIp: "203.0.113.5", headers: { "x-forwarded-for": "198.51.100.7" } })).body).toMatchObject({
      error: { code: "ip_not_allowed" },
    });
  });

  it("spends withApiKey's cost from the quota, and refuses a cost outside 1 to 1000 when the route is defined", async () => {
    const metered = (cost: number) => defineRoute({ ...contracts.whoami, operationId: "metered", cost });
    const GET = withApiKey(metered(5), async () => Response.json({ ok: true }));
    const { body: target } = await create({ name: "metered", remaining: 12 });
    const key = target.key as string;
    const call = () => callRoute(GET, "GET", "/api/v1/metered", { key });

    expect((await call()).status).toBe(200);
    expect((await call()).status).toBe(200);
    expect(await call()).toMatchObject({ status: 429, body: { error: { code: "quota_exceeded" } } });
    expect(() => withApiKey(metered(0), async () => new Response())).toThrow();
    expect(() => withApiKey(metered(1001), async () => new Response())).toThrow();
  });
});
