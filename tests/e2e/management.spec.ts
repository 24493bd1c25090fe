import { expect, test, type APIRequestContext } from "@playwright/test";

import { hashKey } from "../../lib/keys/hash";
import { issueKey, type KeySettings } from "../../lib/keys/service";
import { e2eDb } from "../helpers/e2e-database";

// The key management API (DESIGN.md sections 5, 7, 7.1, 7.2 and 14) driven over HTTP with a
// root key, the way an operator with curl would use it. The database is read only to prove
// what the API says happened did happen (or did not).

const system = { type: "system" as const, id: null };
const MANAGEMENT = ["keys:read", "keys:write", "keys:verify", "usage:read"];
const KEY_FIELDS = [
  "id",
  "name",
  "start",
  "environment",
  "ownerId",
  "scopes",
  "meta",
  "status",
  "expiresAt",
  "revokedAt",
  "revokedReason",
  "rotatedFromId",
  "ratelimit",
  "remaining",
  "refill",
  "ipAllowlist",
  "lastUsedAt",
  "createdAt",
  "updatedAt",
].sort();
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const KEY_ID = /^key_[0-9A-Za-z]{22}$/;

// Random, so a worker restarted after a failure never meets rows of the previous attempt.
function uniq(): string {
  return `t${Math.random().toString(36).slice(2, 10)}`;
}

// The e2e server trusts one proxy hop, so each client speaks from an address of its own and
// no other test's invalid keys can get it throttled.
function from() {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return { "x-forwarded-for": `10.${octet()}.${octet()}.${octet()}` };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked field by field
  body: any;
}

/** An HTTP client presenting one key, as `curl -H "Authorization: Bearer ..."` would. */
class Client {
  private readonly headers: Record<string, string>;

  constructor(
    private readonly request: APIRequestContext,
    readonly key: string,
  ) {
    this.headers = { ...from(), authorization: `Bearer ${key}` };
  }

  async call(method: string, path: string, data?: unknown, params?: Record<string, string | number>): Promise<Reply> {
    const response = await this.request.fetch(path, { method, headers: this.headers, data, params });
    const text = await response.text();
    let body: unknown = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { status: response.status(), headers: response.headers(), text, body };
  }

  get(path: string, params?: Record<string, string | number>) {
    return this.call("GET", path, undefined, params);
  }
  post(path: string, data?: unknown) {
    return this.call("POST", path, data);
  }
  patch(path: string, data: unknown) {
    return this.call("PATCH", path, data);
  }
}

async function rootClient(request: APIRequestContext, scopes: string[] = MANAGEMENT) {
  const issued = await issueKey(e2eDb(), { name: `root ${uniq()}`, scopes }, system);
  return { client: new Client(request, issued.key), id: issued.record.id };
}

async function createScope(api: Client, name = `${uniq()}:read`, description?: string) {
  const reply = await api.post("/api/v1/scopes", description === undefined ? { name } : { name, description });
  expect(reply.status, reply.text).toBe(201);
  return name;
}

type CreateBody = Partial<Omit<KeySettings, "expiresAt">> & { expiresAt?: string | null };

async function createKey(api: Client, input: CreateBody = {}) {
  const reply = await api.post("/api/v1/keys", { name: `key ${uniq()}`, ...input });
  expect(reply.status, reply.text).toBe(201);
  return reply.body as { id: string; key: string; [field: string]: unknown };
}

function expectError(reply: Reply, status: number, code: string) {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.headers["content-type"]).toMatch(/^application\/json/);
  expect(reply.body?.error?.code, reply.text).toBe(code);
  expect(reply.body.error.message).toEqual(expect.any(String));
}

/** Every field of section 7.1, present (null, not missing), and nothing else. */
function expectKeyShape(record: Record<string, unknown>, withSecret = false) {
  expect(Object.keys(record).sort()).toEqual(withSecret ? [...KEY_FIELDS, "key"].sort() : KEY_FIELDS);
  expect(record.id).toMatch(KEY_ID);
  expect(record.start).toMatch(/^kh_(live|test)_[0-9A-Za-z]{4}$/);
  expect(["active", "expired", "revoked"]).toContain(record.status);
  expect(record.createdAt).toMatch(ISO);
  expect(record.updatedAt).toMatch(ISO);
  for (const field of ["expiresAt", "revokedAt", "lastUsedAt"]) {
    if (record[field] !== null) expect(record[field]).toMatch(ISO);
  }
  expect(record).not.toHaveProperty("hash");
}

function whoami(request: APIRequestContext, key: string) {
  return new Client(request, key).get("/api/v1/whoami");
}

async function keyCount() {
  return e2eDb().apiKey.count();
}

async function row(id: string) {
  return e2eDb().apiKey.findUniqueOrThrow({ where: { id } });
}

async function auditOf(targetId: string, action?: string) {
  return e2eDb().auditLog.findMany({ where: { targetId, ...(action ? { action } : {}) }, orderBy: { id: "asc" } });
}

function swapCase(text: string) {
  return [...text].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("");
}

function minuteFloor(ms: number) {
  return Math.floor(ms / 60_000) * 60_000;
}

function totals(series: { at: string; counts: Record<string, number> }[]) {
  const sum: Record<string, number> = {};
  for (const point of series) for (const [outcome, n] of Object.entries(point.counts)) sum[outcome] = (sum[outcome] ?? 0) + n;
  return sum;
}

test.describe("POST /api/v1/keys", () => {
  test("creates a key with every setting: 201, the full record plus the plaintext once", async ({ request }) => {
    const { client: api, id: rootId } = await rootClient(request);
    const scope = await createScope(api);
    const owner = `cus_${uniq()}`;
    const expiresAt = new Date(Date.now() + 86_400_000).toISOString();
    const meta = { plan: "pro", tags: ["a", "b"], nested: { n: 1, ok: true, none: null } };
    const before = Date.now();
    const created = await api.post("/api/v1/keys", {
      name: "Billing service",
      ownerId: owner,
      environment: "test",
      scopes: [scope],
      expiresAt,
      ratelimit: { limit: 50, windowMs: 60_000 },
      remaining: 10,
      meta,
    });
    expect(created.status, created.text).toBe(201);
    const record = created.body;
    expectKeyShape(record, true);
    expect(record).toEqual({
      id: expect.stringMatching(KEY_ID),
      key: expect.stringMatching(/^kh_test_[0-9A-Za-z]{38}$/),
      name: "Billing service",
      start: record.key.slice(0, 12),
      environment: "test",
      ownerId: owner,
      scopes: [scope],
      meta,
      status: "active",
      expiresAt,
      revokedAt: null,
      revokedReason: null,
      rotatedFromId: null,
      ratelimit: { limit: 50, windowMs: 60_000 },
      remaining: 10,
      refill: null,
      ipAllowlist: [],
      lastUsedAt: null,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(record.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(record.createdAt)).toBeLessThanOrEqual(Date.now() + 1000);

    // Stored as its hash only, and the creation is audited with the key as the actor.
    const stored = await row(record.id);
    expect(stored.hash).toBe(hashKey(record.key));
    expect(JSON.stringify(stored)).not.toContain(record.key);
    const audit = await auditOf(record.id, "key.create");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: "key", actorId: rootId });
    expect(JSON.stringify(audit[0]!.data)).not.toContain(record.key);

    // The plaintext works at once.
    const identity = await whoami(request, record.key);
    expect(identity.status, identity.text).toBe(200);
    expect(identity.body).toEqual({
      keyId: record.id,
      name: "Billing service",
      ownerId: owner,
      environment: "test",
      scopes: [scope],
      expiresAt,
      ratelimit: { limit: 50, windowMs: 60_000 },
    });

    // Reads never show the secret or its hash again.
    const read = await api.get(`/api/v1/keys/${record.id}`);
    expect(read.status, read.text).toBe(200);
    expectKeyShape(read.body);
    expect(read.body).not.toHaveProperty("key");
    expect(read.text).not.toContain(record.key);
    expect(read.text).not.toContain(stored.hash);
    // whoami spent one use and may have stamped lastUsedAt; everything else reads back as created.
    const stable = Object.fromEntries(Object.entries(record).filter(([field]) => !["key", "remaining", "lastUsedAt", "updatedAt"].includes(field)));
    expect(read.body).toMatchObject(stable);
    expect(read.body.remaining).toBe(9);
    const listed = await api.get("/api/v1/keys", { ownerId: owner });
    expect(listed.text).not.toContain(record.key);
    expect(listed.text).not.toContain(stored.hash);
  });

  test("defaults: environment live, scopes [], meta {}, and null for everything absent", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const created = await api.post("/api/v1/keys", { name: "minimal" });
    expect(created.status, created.text).toBe(201);
    expectKeyShape(created.body, true);
    expect(created.body).toMatchObject({
      name: "minimal",
      environment: "live",
      ownerId: null,
      scopes: [],
      meta: {},
      status: "active",
      expiresAt: null,
      revokedAt: null,
      revokedReason: null,
      rotatedFromId: null,
      ratelimit: null,
      remaining: null,
      lastUsedAt: null,
    });
    expect(created.body.key).toMatch(/^kh_live_[0-9A-Za-z]{38}$/);
    const read = await api.get(`/api/v1/keys/${created.body.id}`);
    expect(read.body).toMatchObject({ environment: "live", scopes: [], meta: {}, ownerId: null, ratelimit: null });
  });
});

test.describe("scope rules", () => {
  test("an unknown scope is 400 naming it, and nothing is created", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const known = await createScope(api);
    const unknown = `${uniq()}:write`;
    const name = `unknown scope ${uniq()}`;
    const count = await keyCount();
    const reply = await api.post("/api/v1/keys", { name, scopes: [known, unknown] });
    expectError(reply, 400, "bad_request");
    expect(reply.body.error.message).toContain(unknown);
    expect(reply.body.error.message).not.toContain(known);
    expect(await keyCount()).toBe(count);
    expect(await e2eDb().apiKey.count({ where: { name } })).toBe(0);
  });

  test("management scopes are always valid and need no catalogue entry", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const created = await createKey(api, { scopes: ["keys:read", "usage:read"] });
    expect(created.scopes).toEqual(["keys:read", "usage:read"]);
    const catalogue = await api.get("/api/v1/scopes");
    expect(catalogue.body.data.map((scope: { name: string }) => scope.name)).not.toContain("keys:read");
  });

  test("no escalation: a keys:write-only root key cannot hand out keys:read or keys:verify", async ({ request }) => {
    const { client: admin } = await rootClient(request);
    const scope = await createScope(admin);
    const { client: writer } = await rootClient(request, ["keys:write"]);
    const name = `escalation ${uniq()}`;
    const count = await keyCount();

    const refused = await writer.post("/api/v1/keys", { name, scopes: [scope, "keys:read", "keys:verify"] });
    expectError(refused, 403, "insufficient_scope");
    expect(refused.body.error.details.required).toEqual(["keys:read", "keys:verify"]);
    expect(refused.body.error.message).toContain("keys:read");
    expect(refused.body.error.message).toContain("keys:verify");
    expect(await keyCount()).toBe(count);
    expect(await e2eDb().apiKey.count({ where: { name } })).toBe(0);

    // Catalogue scopes it gives freely, and management scopes it holds itself.
    const plain = await createKey(writer, { scopes: [scope] });
    expect(plain.scopes).toEqual([scope]);
    const peer = await createKey(writer, { scopes: ["keys:write"] });
    expect(peer.scopes).toEqual(["keys:write"]);
  });

  test("no escalation: a keys:write-only root key cannot rotate or update a key holding keys:read", async ({ request }) => {
    const { client: writer } = await rootClient(request, ["keys:write"]);
    const target = await issueKey(e2eDb(), { name: `reader ${uniq()}`, scopes: ["keys:read"] }, system);
    const before = await row(target.record.id);
    const count = await keyCount();

    for (const body of [{ name: "renamed" }, { scopes: [] }, { remaining: 1_000 }]) {
      const update = await writer.patch(`/api/v1/keys/${target.record.id}`, body);
      expectError(update, 403, "insufficient_scope");
      expect(update.body.error.details.required).toEqual(["keys:read"]);
    }
    const rotate = await writer.post(`/api/v1/keys/${target.record.id}/rotate`, { gracePeriodSeconds: 0 });
    expectError(rotate, 403, "insufficient_scope");
    expect(rotate.body.error.details.required).toEqual(["keys:read"]);

    expect(await row(target.record.id)).toEqual(before);
    expect(await keyCount()).toBe(count);
    expect(await e2eDb().apiKey.count({ where: { rotatedFromId: target.record.id } })).toBe(0);
    expect((await auditOf(target.record.id)).map((entry) => entry.action)).toEqual(["key.create"]);
    expect((await whoami(request, target.key)).status).toBe(200);
  });
});

test.describe("GET /api/v1/keys", () => {
  test("filters by owner, status, scope, q (name, start prefix) and environment", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const scope = await createScope(api);
    const u = uniq();
    const ownerId = `own_${u}`;
    const alpha = await createKey(api, { name: `Alpha-${u}`, ownerId, scopes: [scope] });
    const bravo = await createKey(api, { name: `bravo-${u}`, ownerId, scopes: [scope] });
    const charlie = await createKey(api, { name: `charlie-${u}`, ownerId });
    const delta = await createKey(api, { name: `delta-${u}`, ownerId, environment: "test" });
    const rotated = await api.post(`/api/v1/keys/${bravo.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status, rotated.text).toBe(201);
    const bravo2 = rotated.body as { id: string };
    expect((await api.post(`/api/v1/keys/${charlie.id}/revoke`, { reason: "test" })).status).toBe(200);

    const list = async (params: Record<string, string>) => {
      const reply = await api.get("/api/v1/keys", params);
      expect(reply.status, reply.text).toBe(200);
      expect(Object.keys(reply.body).sort()).toEqual(["data", "nextCursor"]);
      for (const record of reply.body.data) expectKeyShape(record);
      return reply.body.data.map((record: { id: string }) => record.id);
    };
    // Newest first: the rotation made bravo's successor last.
    expect(await list({ ownerId })).toEqual([bravo2.id, delta.id, charlie.id, bravo.id, alpha.id]);
    expect(await list({ ownerId, status: "active" })).toEqual([bravo2.id, delta.id, alpha.id]);
    expect(await list({ ownerId, status: "expired" })).toEqual([bravo.id]);
    expect(await list({ ownerId, status: "revoked" })).toEqual([charlie.id]);
    expect(await list({ scope })).toEqual([bravo2.id, bravo.id, alpha.id]);
    expect(await list({ ownerId, environment: "test" })).toEqual([delta.id]);
    expect(await list({ ownerId, environment: "live", status: "active" })).toEqual([bravo2.id, alpha.id]);
    // q: a case-insensitive part of the name, or a prefix of the displayed start.
    expect(await list({ q: `ALPHA-${u}` })).toEqual([alpha.id]);
    expect(await list({ ownerId, q: u })).toEqual([bravo2.id, delta.id, charlie.id, bravo.id, alpha.id]);
    expect(await list({ ownerId, q: alpha.key.slice(0, 12) })).toEqual([alpha.id]);
    expect(await list({ ownerId, q: "kh_test_" })).toEqual([delta.id]);
    expect(await list({ ownerId, q: alpha.key.slice(3, 12) })).toEqual([]);
    expect(await list({ ownerId: `${ownerId}x` })).toEqual([]);

    const statuses = await api.get("/api/v1/keys", { ownerId });
    expect(Object.fromEntries(statuses.body.data.map((record: { id: string; status: string }) => [record.id, record.status]))).toEqual({
      [alpha.id]: "active",
      [bravo.id]: "expired",
      [bravo2.id]: "active",
      [charlie.id]: "revoked",
      [delta.id]: "active",
    });
  });

  test("cursor pagination: 45 keys in pages of 20, 20, 5, newest first, stable while keys are created", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const ownerId = `pages_${uniq()}`;
    const created: { id: string; createdAt: string }[] = [];
    for (let i = 0; i < 45; i++) {
      const record = await createKey(api, { ownerId, name: `page key ${i}` });
      created.push({ id: record.id, createdAt: record.createdAt as string });
    }
    // The documented order: createdAt descending, ties broken by id descending.
    const expected = [...created]
      .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
      .map((record) => record.id);

    const page = async (cursor?: string) => {
      const reply = await api.get("/api/v1/keys", { ownerId, limit: 20, ...(cursor ? { cursor } : {}) });
      expect(reply.status, reply.text).toBe(200);
      return reply.body as { data: { id: string; createdAt: string }[]; nextCursor: string | null };
    };

    const first = await page();
    expect(first.data).toHaveLength(20);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await page(first.nextCursor!);
    expect(second.data).toHaveLength(20);
    expect(second.nextCursor).toEqual(expect.any(String));
    const third = await page(second.nextCursor!);
    expect(third.data).toHaveLength(5);
    expect(third.nextCursor).toBeNull();
    const ids = [...first.data, ...second.data, ...third.data].map((record) => record.id);
    expect(new Set(ids).size).toBe(45);
    expect(ids).toEqual(expected);
    const times = [...first.data, ...second.data, ...third.data].map((record) => Date.parse(record.createdAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // Keys created between page requests are newer than the cursor: they never shift a page.
    const again = await page();
    await createKey(api, { ownerId, name: "between 1" });
    await createKey(api, { ownerId, name: "between 2" });
    const againSecond = await page(again.nextCursor!);
    await createKey(api, { ownerId, name: "between 3" });
    const againThird = await page(againSecond.nextCursor!);
    expect([...again.data, ...againSecond.data, ...againThird.data].map((record) => record.id)).toEqual(expected);
    expect(againThird.nextCursor).toBeNull();
    // A fresh first page starts with them.
    const fresh = await page();
    expect(fresh.data.slice(0, 3).map((record) => (record as unknown as { name: string }).name)).toEqual(["between 3", "between 2", "between 1"]);
    expect(fresh.data.slice(3).map((record) => record.id)).toEqual(expected.slice(0, 17));
  });

  test("limit defaults to 20 and allows 1 to 100", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const ownerId = `limits_${uniq()}`;
    for (let i = 0; i < 22; i++) await createKey(api, { ownerId });
    expect((await api.get("/api/v1/keys", { ownerId })).body.data).toHaveLength(20);
    expect((await api.get("/api/v1/keys", { ownerId, limit: 1 })).body.data).toHaveLength(1);
    expect((await api.get("/api/v1/keys", { ownerId, limit: 100 })).body).toMatchObject({ nextCursor: null });
    expect((await api.get("/api/v1/keys", { ownerId, limit: 100 })).body.data).toHaveLength(22);
  });

  test("bad limit, cursor, filter value or an unknown parameter: 400 naming it", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const cursorOf = (text: string) => Buffer.from(text).toString("base64url");
    const cases: [Record<string, string>, string][] = [
      [{ limit: "0" }, "limit"],
      [{ limit: "101" }, "limit"],
      [{ limit: "abc" }, "limit"],
      [{ limit: "-1" }, "limit"],
      [{ limit: "1.5" }, "limit"],
      [{ limit: "" }, "limit"],
      [{ cursor: "garbage!" }, "cursor"],
      [{ cursor: "abc" }, "cursor"],
      [{ cursor: cursorOf("not a date|key_0000000000000000000000") }, "cursor"],
      [{ cursor: cursorOf(`${new Date().toISOString()}|`) }, "cursor"],
      [{ cursor: cursorOf(`${new Date().toISOString()}|nope`) }, "cursor"],
      [{ cursor: cursorOf(`-200000-01-01T00:00:00.000Z|key_0000000000000000000000`) }, "cursor"],
      [{ status: "deleted" }, "status"],
      [{ environment: "prod" }, "environment"],
      [{ colour: "red" }, "colour"],
      [{ owner: "x" }, "owner"],
    ];
    for (const [params, named] of cases) {
      const reply = await api.get("/api/v1/keys", params);
      expectError(reply, 400, "bad_request");
      expect(reply.body.error.message, JSON.stringify(params)).toContain(named);
    }
  });
});

test.describe("PATCH /api/v1/keys/{id}", () => {
  test("changes name, scopes, expiresAt, ratelimit, remaining and meta; whoami and verify honour them at once", async ({ request }) => {
    const { client: api, id: rootId } = await rootClient(request);
    const scope = await createScope(api);
    const key = await createKey(api, { name: "before" });
    const verify = (scopes: string[]) => api.post("/api/v1/keys/verify", { key: key.key, scopes });

    expect((await verify([scope])).body).toEqual({ valid: false, code: "insufficient_scope" });
    const firstWho = await whoami(request, key.key);
    expect(firstWho.body).toMatchObject({ name: "before", scopes: [], ratelimit: null, expiresAt: null });

    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    const changes = {
      name: "after",
      scopes: [scope],
      expiresAt,
      ratelimit: { limit: 5, windowMs: 60_000 },
      remaining: 2,
      meta: { tier: "gold" },
    };
    const updated = await api.patch(`/api/v1/keys/${key.id}`, changes);
    expect(updated.status, updated.text).toBe(200);
    expectKeyShape(updated.body);
    expect(updated.body).toMatchObject({ id: key.id, ...changes, status: "active" });
    expect(updated.body).not.toHaveProperty("key");

    // The verify call spends one of the two uses, whoami the other.
    const verified = await verify([scope]);
    expect(verified.body).toMatchObject({ valid: true, keyId: key.id, name: "after", scopes: [scope], remaining: 1, meta: { tier: "gold" } });
    const who = await whoami(request, key.key);
    expect(who.status, who.text).toBe(200);
    expect(who.body).toEqual({
      keyId: key.id,
      name: "after",
      ownerId: null,
      environment: "live",
      scopes: [scope],
      expiresAt,
      ratelimit: { limit: 5, windowMs: 60_000 },
    });
    expect(who.headers["ratelimit-limit"]).toBe("5");
    expectError(await whoami(request, key.key), 429, "quota_exceeded");

    const audit = await auditOf(key.id, "key.update");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: "key", actorId: rootId });
    expect(audit[0]!.data).toEqual({
      changes: {
        name: { from: "before", to: "after" },
        scopes: { from: [], to: [scope] },
        expiresAt: { from: null, to: expiresAt },
        ratelimit: { from: null, to: { limit: 5, windowMs: 60_000 } },
        remaining: { from: null, to: 2 },
        meta: { from: {}, to: { tier: "gold" } },
      },
    });

    // Lifting the quota and the limit works at once too; the diff holds only what changed.
    const lifted = await api.patch(`/api/v1/keys/${key.id}`, { remaining: null, ratelimit: null, name: "after" });
    expect(lifted.status, lifted.text).toBe(200);
    expect(lifted.body).toMatchObject({ remaining: null, ratelimit: null });
    const free = await whoami(request, key.key);
    expect(free.status, free.text).toBe(200);
    expect(free.body.ratelimit).toBeNull();
    const second = await auditOf(key.id, "key.update");
    expect(second).toHaveLength(2);
    expect(second[1]!.data).toEqual({ changes: { ratelimit: { from: { limit: 5, windowMs: 60_000 }, to: null }, remaining: { from: 0, to: null } } });

    // Nothing to change: answered, but not audited.
    expect((await api.patch(`/api/v1/keys/${key.id}`, { name: "after" })).status).toBe(200);
    expect(await auditOf(key.id, "key.update")).toHaveLength(2);
  });

  test("an empty body {} or no body is 400 and changes nothing", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const key = await createKey(api, { name: "unchanged" });
    const before = await row(key.id);
    expectError(await api.patch(`/api/v1/keys/${key.id}`, {}), 400, "bad_request");
    expectError(await api.call("PATCH", `/api/v1/keys/${key.id}`), 400, "bad_request");
    expect(await row(key.id)).toEqual(before);
    expect(await auditOf(key.id, "key.update")).toHaveLength(0);
  });

  test("scopes must be in the catalogue; ownerId and environment cannot be changed", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const key = await createKey(api);
    const before = await row(key.id);
    const unknown = `${uniq()}:read`;
    const reply = await api.patch(`/api/v1/keys/${key.id}`, { scopes: [unknown] });
    expectError(reply, 400, "bad_request");
    expect(reply.body.error.message).toContain(unknown);
    for (const field of ["ownerId", "environment"]) {
      const refused = await api.patch(`/api/v1/keys/${key.id}`, { [field]: "test" });
      expectError(refused, 400, "bad_request");
      expect(refused.body.error.message).toContain(field);
    }
    expect(await row(key.id)).toEqual(before);
  });
});

test.describe("POST /api/v1/keys/{id}/rotate", () => {
  test("grace 0: the old key is expired at once; the new one keeps every setting and names its origin", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const scope = await createScope(api);
    const old = await createKey(api, {
      name: "rotating",
      ownerId: `cus_${uniq()}`,
      environment: "test",
      scopes: [scope],
      ratelimit: { limit: 100, windowMs: 60_000 },
      remaining: 50,
      meta: { team: "payments" },
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    const before = Date.now();
    const rotated = await api.post(`/api/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 0 });
    expect(rotated.status, rotated.text).toBe(201);
    expectKeyShape(rotated.body, true);
    expect(rotated.body).toMatchObject({
      name: "rotating",
      ownerId: old.ownerId,
      environment: "test",
      scopes: [scope],
      ratelimit: { limit: 100, windowMs: 60_000 },
      remaining: 50,
      meta: { team: "payments" },
      status: "active",
      expiresAt: null,
      revokedAt: null,
      rotatedFromId: old.id,
    });
    expect(rotated.body.id).not.toBe(old.id);
    expect(rotated.body.key).toMatch(/^kh_test_[0-9A-Za-z]{38}$/);
    expect(rotated.body.key).not.toBe(old.key);

    expectError(await whoami(request, old.key), 401, "expired_key");
    const fresh = await whoami(request, rotated.body.key);
    expect(fresh.status, fresh.text).toBe(200);
    expect(fresh.body.keyId).toBe(rotated.body.id);

    const oldRecord = await api.get(`/api/v1/keys/${old.id}`);
    expect(oldRecord.body.status).toBe("expired");
    expect(Date.parse(oldRecord.body.expiresAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(oldRecord.body.expiresAt)).toBeLessThanOrEqual(Date.now());
    expect((await auditOf(old.id, "key.rotate"))[0]?.data).toMatchObject({ newKeyId: rotated.body.id, gracePeriodSeconds: 0 });
  });

  test("no body means grace 0", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const old = await createKey(api);
    const rotated = await api.post(`/api/v1/keys/${old.id}/rotate`);
    expect(rotated.status, rotated.text).toBe(201);
    expectError(await whoami(request, old.key), 401, "expired_key");
  });

  test("grace 60: the old key keeps working until now + 60 s, and its use stays visible in its usage", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const old = await createKey(api);
    const since = minuteFloor(Date.now()) - 60_000;
    const before = Date.now();
    const rotated = await api.post(`/api/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 60 });
    const after = Date.now();
    expect(rotated.status, rotated.text).toBe(201);

    for (let i = 0; i < 2; i++) expect((await whoami(request, old.key)).status).toBe(200);
    expect((await whoami(request, rotated.body.key)).status).toBe(200);
    const oldRecord = await api.get(`/api/v1/keys/${old.id}`);
    expect(oldRecord.body.status).toBe("active");
    expect(Date.parse(oldRecord.body.expiresAt)).toBeGreaterThanOrEqual(before + 60_000 - 1000);
    expect(Date.parse(oldRecord.body.expiresAt)).toBeLessThanOrEqual(after + 60_000 + 1000);

    const usage = (id: string) => api.get(`/api/v1/keys/${id}/usage`, { granularity: "minute", from: new Date(since).toISOString() });
    await expect.poll(async () => totals((await usage(old.id)).body.series ?? []), { timeout: 5_000 }).toEqual({ valid: 2 });
    await expect.poll(async () => totals((await usage(rotated.body.id)).body.series ?? []), { timeout: 5_000 }).toEqual({ valid: 1 });
  });

  test("gracePeriodSeconds outside 0..2592000 or not a whole number: 400 and nothing changes", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const old = await createKey(api);
    const before = await row(old.id);
    const count = await keyCount();
    for (const gracePeriodSeconds of [-1, 2_592_001, 1.5, "60", null, true]) {
      const reply = await api.post(`/api/v1/keys/${old.id}/rotate`, { gracePeriodSeconds });
      expectError(reply, 400, "bad_request");
      expect(reply.body.error.message).toContain("gracePeriodSeconds");
    }
    expect(await row(old.id)).toEqual(before);
    expect(await keyCount()).toBe(count);
    expect((await whoami(request, old.key)).status).toBe(200);
  });

  test("rotating a revoked key is 409 conflict and creates nothing", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const old = await createKey(api);
    expect((await api.post(`/api/v1/keys/${old.id}/revoke`, {})).status).toBe(200);
    const before = await row(old.id);
    const count = await keyCount();
    expectError(await api.post(`/api/v1/keys/${old.id}/rotate`, { gracePeriodSeconds: 0 }), 409, "conflict");
    expect(await row(old.id)).toEqual(before);
    expect(await keyCount()).toBe(count);
  });
});

test.describe("POST /api/v1/keys/{id}/revoke", () => {
  test("revokes at once with a reason; revoking twice is 200 and the first revocation stands", async ({ request }) => {
    const { client: api, id: rootId } = await rootClient(request);
    const key = await createKey(api);
    expect((await whoami(request, key.key)).status).toBe(200);
    const before = Date.now();
    const revoked = await api.post(`/api/v1/keys/${key.id}/revoke`, { reason: "leaked in a CI log" });
    expect(revoked.status, revoked.text).toBe(200);
    expectKeyShape(revoked.body);
    expect(revoked.body).toMatchObject({ id: key.id, status: "revoked", revokedReason: "leaked in a CI log" });
    expect(revoked.body).not.toHaveProperty("key");
    expect(Date.parse(revoked.body.revokedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(revoked.body.revokedAt)).toBeLessThanOrEqual(Date.now() + 1000);

    expectError(await whoami(request, key.key), 401, "revoked_key");

    const again = await api.post(`/api/v1/keys/${key.id}/revoke`, { reason: "second thoughts" });
    expect(again.status, again.text).toBe(200);
    expect(again.body).toMatchObject({ status: "revoked", revokedAt: revoked.body.revokedAt, revokedReason: "leaked in a CI log" });
    const audit = await auditOf(key.id, "key.revoke");
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorType: "key", actorId: rootId, data: { reason: "leaked in a CI log" } });
  });

  test("an empty body is allowed: no reason", async ({ request }) => {
    const { client: api } = await rootClient(request);
    for (const send of [() => undefined, () => ({})]) {
      const key = await createKey(api);
      const revoked = await api.post(`/api/v1/keys/${key.id}/revoke`, send());
      expect(revoked.status, revoked.text).toBe(200);
      expect(revoked.body).toMatchObject({ status: "revoked", revokedReason: null, revokedAt: expect.stringMatching(ISO) });
      expectError(await whoami(request, key.key), 401, "revoked_key");
    }
  });
});

test.describe("GET /api/v1/keys/{id}/usage", () => {
  test("counts per minute and outcome for valid and refused calls", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const key = await createKey(api, { ratelimit: { limit: 2, windowMs: 60_000 } });
    const since = minuteFloor(Date.now()) - 60_000;
    const caller = new Client(request, key.key);
    expect((await caller.get("/api/v1/whoami")).status).toBe(200);
    expect((await caller.get("/api/v1/whoami")).status).toBe(200);
    expectError(await caller.get("/api/v1/whoami"), 429, "rate_limited");
    expectError(await caller.get("/api/v1/keys"), 403, "insufficient_scope");

    const expected = { valid: 2, rate_limited: 1, insufficient_scope: 1 };
    const fromIso = new Date(since).toISOString();
    let reply: Reply | undefined;
    await expect
      .poll(
        async () => {
          reply = await api.get(`/api/v1/keys/${key.id}/usage`, { granularity: "minute", from: fromIso });
          return totals(reply.body.series ?? []);
        },
        { timeout: 5_000 },
      )
      .toEqual(expected);
    expect(reply!.status).toBe(200);
    expect(Object.keys(reply!.body).sort()).toEqual(["from", "granularity", "keyId", "series", "to"]);
    expect(reply!.body).toMatchObject({ keyId: key.id, granularity: "minute", from: fromIso });
    expect(Math.abs(Date.parse(reply!.body.to) - Date.now())).toBeLessThan(5_000);
    for (const point of reply!.body.series) {
      expect(Object.keys(point).sort()).toEqual(["at", "counts"]);
      expect(point.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:00\.000Z$/);
      expect(Date.parse(point.at)).toBeGreaterThanOrEqual(since);
      for (const n of Object.values(point.counts)) expect(n).toBeGreaterThan(0);
    }
  });

  test("defaults echo the effective range: to now, from 24 hours before", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const key = await createKey(api);
    const before = Date.now();
    const reply = await api.get(`/api/v1/keys/${key.id}/usage`);
    const after = Date.now();
    expect(reply.status, reply.text).toBe(200);
    expect(["minute", "hour", "day"]).toContain(reply.body.granularity);
    expect(Date.parse(reply.body.to)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(reply.body.to)).toBeLessThanOrEqual(after + 1000);
    expect(Date.parse(reply.body.to) - Date.parse(reply.body.from)).toBe(86_400_000);
    expect(reply.body.series).toEqual([]);
  });

  test("from >= to, a bad date or granularity=week: 400", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const key = await createKey(api);
    const now = new Date().toISOString();
    const cases: Record<string, string>[] = [
      { from: now, to: now },
      { from: new Date(Date.now() + 60_000).toISOString(), to: now },
      { granularity: "week" },
      { from: "yesterday" },
      { to: "2030-01-01" },
      { colour: "red" },
    ];
    for (const params of cases) {
      const reply = await api.get(`/api/v1/keys/${key.id}/usage`, params);
      expectError(reply, 400, "bad_request");
    }
    expect((await api.get(`/api/v1/keys/${key.id}/usage`, { granularity: "week" })).body.error.message).toContain("granularity");
  });

  test("needs usage:read: 403 insufficient_scope otherwise", async ({ request }) => {
    const { client: api } = await rootClient(request, ["keys:read", "keys:write"]);
    const key = await createKey(api);
    const reply = await api.get(`/api/v1/keys/${key.id}/usage`);
    expectError(reply, 403, "insufficient_scope");
    expect(reply.body.error.details.required).toEqual(["usage:read"]);
  });
});

test.describe("the scope catalogue", () => {
  test("create 201, list with keyCount not counting revoked keys", async ({ request }) => {
    const { client: api, id: rootId } = await rootClient(request);
    const name = `${uniq()}:read`;
    const created = await api.post("/api/v1/scopes", { name, description: "Read orders" });
    expect(created.status, created.text).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^scp_[0-9A-Za-z]{22}$/),
      name,
      description: "Read orders",
      keyCount: 0,
      createdAt: expect.stringMatching(ISO),
    });
    expect((await auditOf(created.body.id, "scope.create"))[0]).toMatchObject({ actorType: "key", actorId: rootId });

    const bare = await api.post("/api/v1/scopes", { name: `${uniq()}:write` });
    expect(bare.status, bare.text).toBe(201);
    expect(bare.body.description).toBe("");

    await createKey(api, { scopes: [name] });
    await createKey(api, { scopes: [name, "keys:read"] });
    const revoked = await createKey(api, { scopes: [name] });
    expect((await api.post(`/api/v1/keys/${revoked.id}/revoke`, {})).status).toBe(200);

    const listed = await api.get("/api/v1/scopes");
    expect(listed.status, listed.text).toBe(200);
    expect(Object.keys(listed.body)).toEqual(["data"]);
    for (const scope of listed.body.data) expect(Object.keys(scope).sort()).toEqual(["createdAt", "description", "id", "keyCount", "name"]);
    expect(listed.body.data.find((scope: { name: string }) => scope.name === name)).toEqual({ ...created.body, keyCount: 2 });
    expect(listed.body.data.find((scope: { name: string }) => scope.name === bare.body.name)).toMatchObject({ keyCount: 0 });
  });

  test("a name that exists is 409 conflict; bad or reserved names are 400; nothing is created", async ({ request }) => {
    const { client: api } = await rootClient(request);
    const name = await createScope(api, undefined, "first");
    const count = await e2eDb().scope.count();
    const duplicate = await api.post("/api/v1/scopes", { name, description: "second" });
    expectError(duplicate, 409, "conflict");
    expect(duplicate.body.error.message).toContain(name);
    for (const bad of [
      "orders",
      "Orders:Read",
      "orders:",
      ":read",
      "1orders:read",
      "orders:read ",
      "orders read:x",
      "ordérs:read",
      "",
      "keys:read",
      "keys:write",
      "keys:verify",
      "usage:read",
    ]) {
      const reply = await api.post("/api/v1/scopes", { name: bad });
      expectError(reply, 400, "bad_request");
      expect(reply.body.error.message, bad).toContain("name");
    }
    expect(await e2eDb().scope.count()).toBe(count);
    expect((await e2eDb().scope.findUniqueOrThrow({ where: { name } })).description).toBe("first");
  });
});

test("unknown ids and ids of the wrong shape are 404 not_found everywhere", async ({ request }) => {
  const { client: api } = await rootClient(request);
  const real = await createKey(api);
  const count = await keyCount();
  const before = await row(real.id);
  const ids = [
    "key_0000000000000000000000",
    // Right shape, another key: ids are case-sensitive.
    `key_${swapCase(real.id.slice(4))}`,
    real.id.slice(0, -1),
    `${real.id}x`,
    `scp_${real.id.slice(4)}`,
    real.id.toUpperCase(),
    "nope",
    "123",
  ];
  for (const id of ids) {
    const path = `/api/v1/keys/${encodeURIComponent(id)}`;
    const replies = [
      await api.get(path),
      await api.patch(path, { name: "x" }),
      await api.post(`${path}/rotate`, { gracePeriodSeconds: 0 }),
      await api.post(`${path}/revoke`, {}),
      await api.get(`${path}/usage`),
    ];
    for (const reply of replies) expectError(reply, 404, "not_found");
  }
  expect(await keyCount()).toBe(count);
  expect(await row(real.id)).toEqual(before);
});

test("100,000 keys: listing pages stay correct (latency printed, not asserted)", async ({ request }) => {
  // The insert and the delete of 100,000 rows each take a second or two (the key counts follow
  // each statement); walking 1,000 pages takes the rest.
  test.setTimeout(180_000);
  const { client: api } = await rootClient(request);
  const run = uniq();
  const ownerId = `bulk_owner_${run}`;
  const scope = `bulk${run}:read`;
  const db = e2eDb();
  const started = performance.now();
  // One statement, so the fixture costs seconds rather than 100,000 round trips. Ids keep the
  // key_ shape; created_at steps back 1 ms per row so the order is total without ties.
  const inserted = await db.$executeRaw`
    INSERT INTO api_keys (id, name, start, hash, environment, owner_id, scopes, meta, created_at, updated_at)
    SELECT 'key_' || ${run.slice(1, 5)}::text || lpad(g::text, 18, '0'),
           'bulk key ' || g,
           'kh_live_' || substr(md5(${run}::text || g::text), 1, 4),
           encode(sha256(convert_to(${run}::text || ':' || g::text, 'UTF8')), 'hex'),
           'live',
           CASE WHEN g % 100 = 0 THEN ${ownerId}::text END,
           CASE WHEN g % 1000 = 0 THEN ARRAY[${scope}::text] ELSE ARRAY[]::text[] END,
           '{}'::jsonb,
           now() - make_interval(secs => g / 1000.0),
           now()
    FROM generate_series(1, 100000) AS g`;
  expect(inserted).toBe(100_000);
  await db.$executeRawUnsafe("ANALYZE api_keys");
  console.log(`100k listing: inserted 100,000 rows and analyzed in ${Math.round(performance.now() - started)} ms`);

  try {
    type Page = { data: { id: string; createdAt: string; ownerId: string | null; scopes: string[]; name: string }[]; nextCursor: string | null };
    const timed = async (params: Record<string, string | number>) => {
      const t0 = performance.now();
      const reply = await api.get("/api/v1/keys", params);
      const ms = performance.now() - t0;
      expect(reply.status, reply.text).toBe(200);
      return { page: reply.body as Page, ms };
    };
    // One expect per walk, not per row: each expect costs enough to stall 100,000 rows.
    const firstDisorder = (records: Page["data"]) => {
      for (let i = 1; i < records.length; i++) {
        const [a, b] = [records[i - 1]!, records[i]!];
        if (!(a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id))) return `${a.id} before ${b.id}`;
      }
      return null;
    };
    const walk = async (params: Record<string, string | number>, maxPages: number) => {
      const records: Page["data"] = [];
      const latencies: number[] = [];
      let cursor: string | null = null;
      do {
        const { page, ms } = await timed({ ...params, ...(cursor ? { cursor } : {}) });
        records.push(...page.data);
        latencies.push(ms);
        cursor = page.nextCursor;
      } while (cursor && latencies.length < maxPages);
      expect(new Set(records.map((record) => record.id)).size).toBe(records.length);
      expect(firstDisorder(records)).toBeNull();
      return { records, latencies, done: cursor === null };
    };
    const describe = (label: string, latencies: number[]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!.toFixed(1);
      console.log(
        `100k listing: ${label}: ${latencies.length} pages, first ${latencies[0]!.toFixed(1)} ms, median ${at(0.5)} ms, p95 ${at(0.95)} ms, max ${at(1)} ms, last ${latencies.at(-1)!.toFixed(1)} ms`,
      );
    };

    // The whole list: every row exactly once, and the last pages show whether a page deep in
    // the list costs what the first one does (keyset pagination) or grows with its depth.
    const total = await db.apiKey.count();
    const all = await walk({ limit: 100 }, 2_000);
    expect(all.done).toBe(true);
    expect(all.records).toHaveLength(total);
    const figures = (latencies: number[]) => latencies.map((ms) => ms.toFixed(1)).join(", ");
    describe(`every page of the unfiltered list (${total} keys), limit 100`, all.latencies);
    console.log(`100k listing: first five pages: ${figures(all.latencies.slice(0, 5))} ms; last five: ${figures(all.latencies.slice(-5))} ms`);

    const first = await walk({ limit: 20 }, 5);
    expect(first.records.map((record) => record.id)).toEqual(all.records.slice(0, 100).map((record) => record.id));
    describe("first five pages, default-sized (limit 20)", first.latencies);

    // Every 100th row: the walk ends among the oldest, so its last page is as deep as it gets.
    const owned = await walk({ ownerId, limit: 100 }, 100);
    expect(owned.done).toBe(true);
    expect(owned.records).toHaveLength(1_000);
    expect(owned.records.every((record) => record.ownerId === ownerId)).toBe(true);
    describe(`ownerId filter (1,000 matches), limit 100`, owned.latencies);

    const scoped = await walk({ scope, limit: 20 }, 100);
    expect(scoped.done).toBe(true);
    expect(scoped.records).toHaveLength(100);
    expect(scoped.records.every((record) => record.scopes.includes(scope))).toBe(true);
    describe(`scope filter (100 matches), limit 20`, scoped.latencies);

    const active = await walk({ status: "active", limit: 100 }, 5);
    expect(active.records).toHaveLength(500);
    describe("status=active, limit 100", active.latencies);

    const searched = await walk({ q: "bulk key 99999", limit: 20 }, 5);
    expect(searched.records.map((record) => record.name)).toEqual(["bulk key 99999"]);
    describe("q over names (1 match)", searched.latencies);
  } finally {
    await db.$executeRaw`DELETE FROM api_keys WHERE id LIKE ${`key_${run.slice(1, 5)}%`} AND name LIKE 'bulk key %'`;
  }
});
