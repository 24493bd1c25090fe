import http from "node:http";

import { expect, test, type APIRequestContext } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { createScope } from "../../lib/scopes/service";
import { e2eDb } from "../helpers/e2e-database";

// Generated malformed requests to every endpoint of DESIGN.md section 7. Each must be answered
// with the JSON error contract of section 6 and the 4xx it names (never a 500, never a 2xx),
// and none may change a key or a scope: only usage events (and the caller's lastUsedAt) move.

const system = { type: "system" as const, id: null };
const MANAGEMENT = ["keys:read", "keys:write", "keys:verify", "usage:read"];
const FUTURE = new Date(Date.now() + 30 * 86_400_000).toISOString();

interface Case {
  what: string;
  method: string;
  path: string;
  /** Sent byte for byte: a string here is the raw body, not a value to encode. */
  body?: string | Buffer;
  contentType?: string;
  status: number;
  /** The section 6 code; unset where section 6 names none (405), which then only has to be a string. */
  code?: string;
  /** Text the error message must contain (the field or parameter at fault). */
  names?: string;
}

interface Fixture {
  rootKey: string;
  rootId: string;
  targetId: string;
  targetKey: string;
  scope: string;
}

let fixture: Fixture;

// Random, so a worker restarted after a failure never meets rows of the previous attempt.
function uniq(): string {
  return `m${Math.random().toString(36).slice(2, 10)}`;
}

const json = (value: unknown) => JSON.stringify(value);

test.beforeAll(async () => {
  const db = e2eDb();
  const root = await issueKey(db, { name: `malformed root ${uniq()}`, scopes: MANAGEMENT }, system);
  const scope = `${uniq()}:read`;
  await createScope(db, { name: scope, description: "for malformed requests" }, system);
  // An ordinary key with every setting, the target of every {id} endpoint: any change to it shows.
  const target = await issueKey(
    db,
    {
      name: "malformed target",
      ownerId: "cus_malformed",
      scopes: [scope],
      expiresAt: new Date(FUTURE),
      ratelimit: { limit: 1_000, windowMs: 60_000 },
      remaining: 5,
      meta: { plan: "pro" },
    },
    system,
  );
  fixture = { rootKey: root.key, rootId: root.record.id, targetId: target.record.id, targetKey: target.key, scope };
});

// The e2e server trusts one proxy hop; an address of our own keeps other tests' throttling away.
const client = { "x-forwarded-for": `10.250.${Math.floor(Math.random() * 254) + 1}.${Math.floor(Math.random() * 254) + 1}` };

async function snapshot() {
  const db = e2eDb();
  const keys = await db.$queryRaw<{ row: Record<string, unknown> }[]>`SELECT to_jsonb(k) AS row FROM api_keys k ORDER BY id`;
  const scopes = await db.$queryRaw<{ row: unknown }[]>`SELECT to_jsonb(s) AS row FROM scopes s ORDER BY id`;
  const audit = await db.$queryRaw<{ n: number; last: string | null }[]>`SELECT count(*)::int AS n, max(id)::text AS last FROM audit_logs`;
  const windows = await db.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM ratelimit_windows WHERE key_id = ${fixture.targetId}`;
  return {
    // lastUsedAt is usage bookkeeping, like usage events and rollups: the caller's moves, and an
    // earlier test's may still be landing. Only the target's must stay put.
    keys: keys.map(({ row }) => (row.id === fixture.targetId ? row : { ...row, last_used_at: "(usage)" })),
    scopes: scopes.map(({ row }) => row),
    audit: audit[0],
    targetWindows: windows[0],
  };
}

async function send(request: APIRequestContext, item: Case) {
  const headers: Record<string, string> = { ...client, authorization: `Bearer ${fixture.rootKey}` };
  if (item.body !== undefined) headers["content-type"] = item.contentType ?? "application/json";
  const response = await request.fetch(item.path, {
    method: item.method,
    headers,
    data: item.body === undefined ? undefined : Buffer.isBuffer(item.body) ? item.body : Buffer.from(item.body, "utf8"),
    maxRedirects: 0,
  });
  return { status: response.status(), contentType: response.headers()["content-type"] ?? "", text: await response.text() };
}

/** Problems with one answer, in words; empty when it honours the contract. */
function judge(item: Case, answer: { status: number; contentType: string; text: string }): string[] {
  const problems: string[] = [];
  if (answer.status !== item.status) problems.push(`status ${answer.status}, expected ${item.status}`);
  if (!answer.contentType.startsWith("application/json")) problems.push(`content-type "${answer.contentType}"`);
  let body: { error?: { code?: unknown; message?: unknown } } | null = null;
  try {
    body = JSON.parse(answer.text);
  } catch {
    problems.push("body is not JSON");
  }
  if (body) {
    if (item.code ? body.error?.code !== item.code : typeof body.error?.code !== "string") {
      problems.push(`code ${String(body.error?.code)}, expected ${item.code ?? "a string"}`);
    }
    if (typeof body.error?.message !== "string") problems.push("no error.message");
    else if (item.names && !body.error.message.includes(item.names)) problems.push(`message "${body.error.message}" does not name ${item.names}`);
  }
  return problems.length > 0 ? [`${item.what} (${item.method} ${item.path.slice(0, 120)}): ${problems.join("; ")} :: ${answer.text.slice(0, 200)}`] : [];
}

/** Sends every case, then proves the database did not change. All problems are listed at once. */
async function expectAllRefused(request: APIRequestContext, cases: Case[]) {
  const before = await snapshot();
  const problems: string[] = [];
  for (const item of cases) problems.push(...judge(item, await send(request, item)));
  // Usage (and with it any lastUsedAt) is written about once a second: wait for it to land.
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(problems, `${problems.length} of ${cases.length} requests broke the contract`).toEqual([]);
  expect(await snapshot()).toEqual(before);
}

// ---- the generated cases ---------------------------------------------------------------------

const keyPath = () => `/api/v1/keys/${fixture.targetId}`;

/** Every body endpoint with a body it would accept, to be broken one field at a time. */
function bodyEndpoints() {
  return [
    { name: "create key", method: "POST", path: "/api/v1/keys", valid: { name: "malformed probe" }, emptyAllowed: false },
    { name: "update key", method: "PATCH", path: keyPath(), valid: { name: "malformed probe" }, emptyAllowed: false },
    { name: "rotate key", method: "POST", path: `${keyPath()}/rotate`, valid: { gracePeriodSeconds: 60 }, emptyAllowed: true },
    { name: "revoke key", method: "POST", path: `${keyPath()}/revoke`, valid: { reason: "malformed probe" }, emptyAllowed: true },
    { name: "verify key", method: "POST", path: "/api/v1/keys/verify", valid: { key: fixture.targetKey }, emptyAllowed: false },
    { name: "create scope", method: "POST", path: "/api/v1/scopes", valid: { name: `${uniq()}:write` }, emptyAllowed: false },
  ];
}

const NOT_STORABLE = ["\u0000", "a\u0000b", "\ud800", "x\udfffy"];
const TYPE_CONFUSION_FOR_STRINGS = [42, 1.5, true, [], ["a"], {}, { a: 1 }];
const TYPE_CONFUSION_FOR_NUMBERS = ["5", "", true, [], [1], {}, { n: 1 }];
const TOO_MANY_SCOPES = Array.from({ length: 101 }, (_, i) => `s${i}:read`);
const BAD_DATES = [
  42,
  true,
  [],
  {},
  "",
  "tomorrow",
  "2030-01-01",
  "2030-01-01T00:00:00",
  "2030-13-01T00:00:00Z",
  "2030-01-01T25:00:00Z",
  "2030-01-01T00:00:00+25:00",
  1_893_456_000_000,
];
// An offset carries this past the year 9999 in UTC, where PostgreSQL and toISOString() part ways.
const BEYOND_9999 = "9999-12-31T23:59:59-05:00";
const BAD_RATELIMITS = [
  42,
  "10/60s",
  true,
  [],
  {},
  { limit: 10 },
  { windowMs: 60_000 },
  { limit: 0, windowMs: 60_000 },
  { limit: -1, windowMs: 60_000 },
  { limit: 1.5, windowMs: 60_000 },
  { limit: "10", windowMs: 60_000 },
  { limit: null, windowMs: 60_000 },
  { limit: 10, windowMs: 999 },
  { limit: 10, windowMs: -60_000 },
  { limit: 10, windowMs: 86_400_001 },
  { limit: 1_000_001, windowMs: 60_000 },
];
const BAD_REMAINING = [-1, 1.5, 2_000_000_001, 1e308, ...TYPE_CONFUSION_FOR_NUMBERS];
const BAD_META = [[], [1], "x", 42, true, { "\u0000": 1 }, { a: "\u0000" }, { a: "\ud800" }, { ["\ud800"]: 1 }];

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/** Invalid values per field of each body schema (section 7.1), null where null is not allowed. */
function fieldCases(): Case[] {
  const cases: Case[] = [];
  const add = (endpoint: { name: string; method: string; path: string }, base: object, field: string, values: unknown[]) => {
    for (const value of values) {
      cases.push({
        what: `${endpoint.name}: ${field} = ${json(value)?.slice(0, 60)}`,
        method: endpoint.method,
        path: endpoint.path,
        body: json({ ...base, [field]: value }),
        status: 400,
        code: "bad_request",
        names: field,
      });
    }
  };
  const [create, update, rotate, revoke, verify, scope] = bodyEndpoints();

  const base = { name: "malformed probe" };
  add(create!, base, "name", [null, ...TYPE_CONFUSION_FOR_STRINGS, "", "   ", "x".repeat(201), ...NOT_STORABLE]);
  add(create!, base, "ownerId", [...TYPE_CONFUSION_FOR_STRINGS, "", "x".repeat(201), ...NOT_STORABLE]);
  add(create!, base, "environment", [null, "prod", "LIVE", "", 1, [], {}]);
  add(create!, base, "scopes", [null, "orders:read", 1, {}, [1], [null], [""], ["Orders:Read"], ["orders"], [["a:b"]], ["a\u0000:b"], TOO_MANY_SCOPES]);
  add(create!, base, "expiresAt", [...BAD_DATES, "2020-01-01T00:00:00Z", "1969-12-31T23:59:59Z", BEYOND_9999]);
  add(create!, base, "ratelimit", BAD_RATELIMITS);
  add(create!, base, "remaining", BAD_REMAINING);
  add(create!, base, "meta", [null, ...BAD_META]);
  // A scope that is well formed but not in the catalogue is refused by name too.
  cases.push({
    what: "create key: scope not in the catalogue",
    method: "POST",
    path: "/api/v1/keys",
    body: json({ ...base, scopes: ["nowhere:read"] }),
    status: 400,
    code: "bad_request",
    names: "nowhere:read",
  });

  // PATCH: every field is optional, so each case is that field alone (null is valid for some).
  add(update!, {}, "name", [null, ...TYPE_CONFUSION_FOR_STRINGS, "", "   ", "x".repeat(201), ...NOT_STORABLE]);
  add(update!, {}, "scopes", [null, "orders:read", 1, {}, [1], [null], [""], ["Orders:Read"], ["orders"], TOO_MANY_SCOPES]);
  add(update!, {}, "expiresAt", [...BAD_DATES, BEYOND_9999]);
  add(update!, {}, "ratelimit", BAD_RATELIMITS);
  add(update!, {}, "remaining", BAD_REMAINING);
  add(update!, {}, "meta", [null, ...BAD_META]);

  add(rotate!, {}, "gracePeriodSeconds", [-1, 2_592_001, 1.5, 1e308, null, ...TYPE_CONFUSION_FOR_NUMBERS]);
  add(rotate!, { gracePeriodSeconds: 60 }, "expiresAt", [...BAD_DATES, "2020-01-01T00:00:00Z", BEYOND_9999]);

  add(revoke!, {}, "reason", [...TYPE_CONFUSION_FOR_STRINGS, "x".repeat(501), ...NOT_STORABLE]);

  add(verify!, {}, "key", [null, ...TYPE_CONFUSION_FOR_STRINGS, "x".repeat(1025)]);
  add(verify!, { key: fixture.targetKey }, "scopes", [null, "orders:read", 1, {}, [1], [null], [""], ["x".repeat(201)], TOO_MANY_SCOPES]);
  cases.push({
    what: "verify key: no key",
    method: "POST",
    path: "/api/v1/keys/verify",
    body: json({ scopes: [] }),
    status: 400,
    code: "bad_request",
    names: "key",
  });

  add(scope!, {}, "name", [
    null,
    ...TYPE_CONFUSION_FOR_STRINGS,
    "",
    "orders",
    "Orders:Read",
    ":read",
    "orders:",
    "1a:b",
    "a b:c",
    "ordérs:read",
    "keys:read",
    "keys:write",
    "keys:verify",
    "usage:read",
    `a:${"b".repeat(200)}`,
    "a\u0000:b",
  ]);
  add(scope!, { name: `${uniq()}:read` }, "description", [null, ...TYPE_CONFUSION_FOR_STRINGS, "x".repeat(501), ...NOT_STORABLE]);
  cases.push({
    what: "create scope: no name",
    method: "POST",
    path: "/api/v1/scopes",
    body: json({ description: "x" }),
    status: 400,
    code: "bad_request",
    names: "name",
  });

  // Unknown fields: top level (including read-only ones of the record) and nested.
  const unknown: [typeof create, object, string[]][] = [
    [create, base, ["hash", "key", "id", "status", "createdById", "revokedAt", "extra"]],
    [update, { name: "x" }, ["ownerId", "environment", "hash", "key", "status", "revokedAt", "rotatedFromId", "createdAt"]],
    [rotate, { gracePeriodSeconds: 60 }, ["name", "scopes", "key", "grace"]],
    [revoke, { reason: "x" }, ["revokedAt", "status", "key"]],
    [verify, { key: fixture.targetKey }, ["environment", "keyId", "extra"]],
    [scope, { name: `${uniq()}:read` }, ["id", "keyCount", "createdAt"]],
  ];
  for (const [endpoint, valid, fields] of unknown) {
    for (const field of fields) {
      cases.push({
        what: `${endpoint!.name}: unknown field ${field}`,
        method: endpoint!.method,
        path: endpoint!.path,
        body: json({ ...valid, [field]: "x" }),
        status: 400,
        code: "bad_request",
        names: field,
      });
    }
  }
  for (const endpoint of [create!, update!]) {
    cases.push({
      what: `${endpoint.name}: unknown nested field ratelimit.burst`,
      method: endpoint.method,
      path: endpoint.path,
      body: json({ name: "x", ratelimit: { limit: 10, windowMs: 60_000, burst: 5 } }),
      status: 400,
      code: "bad_request",
      names: "ratelimit.burst",
    });
  }
  return cases;
}

/** What every body endpoint must refuse whatever its schema: not JSON, not an object, too big. */
function bodyShapeCases(): Case[] {
  const cases: Case[] = [];
  const oversized = (bytes: number) => `{"pad":"${"x".repeat(bytes - 10)}"}`;
  for (const endpoint of bodyEndpoints()) {
    const at = { method: endpoint.method, path: endpoint.path };
    const bad = (what: string, body: string | Buffer, extra: Partial<Case> = {}) =>
      cases.push({ what: `${endpoint.name}: ${what}`, ...at, body, status: 400, code: "bad_request", ...extra });
    for (const text of [
      "{",
      '{"name":',
      "{'name':'x'}",
      '{name:"x"}',
      '{"name":"x",}',
      '{"name":"x"} trailing',
      '{"a":1}{"b":2}',
      "NaN",
      "undefined",
      "Infinity",
      "]",
      "\u0000",
      "{\u0000}",
    ]) {
      bad(`invalid JSON ${json(text)}`, text, { names: "JSON" });
    }
    for (const text of ["[]", "null", '"text"', "42", "-1", "true", "[{}]", json([endpoint.valid])]) bad(`not an object: ${text.slice(0, 40)}`, text);
    if (!endpoint.emptyAllowed) {
      bad("empty body", "");
      bad("whitespace body", "  \n\t ");
    }
    // Bytes that are not UTF-8 inside an otherwise fine body, and a UTF-16 body.
    bad("invalid UTF-8", Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]));
    bad("UTF-16", Buffer.from(`\ufeff${json(endpoint.valid)}`, "utf16le"), { contentType: "application/json; charset=utf-16" });
    // Other content types, with bodies in those formats.
    bad("form-encoded", "name=x&gracePeriodSeconds=5&reason=x&key=x", { contentType: "application/x-www-form-urlencoded" });
    bad("multipart", '--b\r\nContent-Disposition: form-data; name="name"\r\n\r\nx\r\n--b--\r\n', { contentType: "multipart/form-data; boundary=b" });
    bad("XML", "<key><name>x</name></key>", { contentType: "application/xml" });
    bad("plain text", "please make a key", { contentType: "text/plain" });
    // Numbers JSON.parse turns into Infinity, nesting past any real use, NUL in a field name.
    bad("1e400 in a number field", `{"remaining":1e400,"gracePeriodSeconds":1e400,"limit":1e400}`);
    bad("nesting 5,000 deep", `{"meta":${nested(5_000)}}`);
    bad("NUL in a field name", '{"\\u0000":1}');
    for (const bytes of [64 * 1024 + 1, 70 * 1024, 1024 * 1024]) {
      cases.push({ what: `${endpoint.name}: ${bytes} bytes`, ...at, body: oversized(bytes), status: 413, code: "payload_too_large" });
    }
  }
  // Numbers past what the schemas allow, written as JSON text rather than JS values.
  const [create, update, rotate] = bodyEndpoints();
  const raw = (endpoint: typeof create, text: string, names: string) =>
    cases.push({ what: `${endpoint!.name}: ${text}`, method: endpoint!.method, path: endpoint!.path, body: text, status: 400, code: "bad_request", names });
  raw(create, '{"name":"x","remaining":1e400}', "remaining");
  raw(create, '{"name":"x","remaining":9007199254740993}', "remaining");
  raw(create, '{"name":"x","remaining":-0.5}', "remaining");
  raw(create, '{"name":"x","ratelimit":{"limit":1e400,"windowMs":60000}}', "ratelimit.limit");
  raw(create, '{"name":"x","meta":{"big":1e400}}', "meta.big");
  raw(create, `{"name":"x","meta":${nested(3_000)}}`, "meta");
  raw(update, `{"meta":${nested(3_000)}}`, "meta");
  raw(update, '{"remaining":-1e400}', "remaining");
  raw(rotate, '{"gracePeriodSeconds":1e400}', "gracePeriodSeconds");
  raw(rotate, '{"gracePeriodSeconds":-0.1}', "gracePeriodSeconds");
  return cases;
}

function queryCases(): Case[] {
  const cases: Case[] = [];
  const cursorOf = (text: string) => Buffer.from(text, "utf8").toString("base64url");
  const someId = "key_0000000000000000000000";
  const list = (what: string, query: string, names: string) =>
    cases.push({ what: `list keys: ${what}`, method: "GET", path: `/api/v1/keys?${query}`, status: 400, code: "bad_request", names });
  const param = (name: string, value: string) => new URLSearchParams({ [name]: value }).toString();

  for (const value of ["0", "101", "-1", "abc", "1.5", "", "Infinity", "1e400", "99999999999999999999", "1,2", "NaN", "\u0000"]) {
    list(`limit=${json(value)}`, param("limit", value), "limit");
  }
  for (const value of ["bogus", "ACTIVE", "", "active,revoked", "\u0000"]) list(`status=${json(value)}`, param("status", value), "status");
  for (const value of ["prod", "", "LIVE"]) list(`environment=${json(value)}`, param("environment", value), "environment");
  for (const name of ["ownerId", "q", "scope"]) {
    for (const value of ["", "x".repeat(201), "\u0000", "a\u0000b"]) list(`${name}=${json(value).slice(0, 30)}`, param(name, value), name);
  }
  const cursors = [
    "",
    "!!!",
    "abc",
    "x".repeat(201),
    cursorOf("x|y"),
    cursorOf("not a date|" + someId),
    cursorOf("2020-01-01T00:00:00.000Z|"),
    cursorOf("2020-01-01T00:00:00.000Z|nope"),
    cursorOf("2020-01-01T00:00:00.000Z|key_\u0000000000000000000000"),
    cursorOf("-200000-01-01T00:00:00.000Z|" + someId),
    cursorOf("+275760-09-13T00:00:00.000Z|" + someId),
    cursorOf("2020-01-01T00:00:00.000Z|" + someId).replace(/.$/, "\u0000"),
  ];
  for (const cursor of cursors) list(`cursor=${json(cursor).slice(0, 40)}`, param("cursor", cursor), "cursor");
  for (const [query, names] of [
    ["colour=red", "colour"],
    ["LIMIT=5", "LIMIT"],
    ["ownerid=x", "ownerid"],
    ["a%5Bb%5D=1", "a[b]"],
    ["limit=5&limit=abc", "limit"],
    ["%00=1", "\u0000"],
  ] as const) {
    list(query, query, names === "\u0000" ? "" : names);
  }

  const usage = (what: string, query: string, names?: string) =>
    cases.push({ what: `usage: ${what}`, method: "GET", path: `${keyPath()}/usage?${query}`, status: 400, code: "bad_request", names });
  const now = new Date().toISOString();
  for (const name of ["from", "to"]) {
    for (const value of ["", "yesterday", "2030-01-01", "2030-01-01T00:00:00", "2030-01-01T00:00:00+25:00", "1700000000", "\u0000", BEYOND_9999]) {
      usage(`${name}=${json(value)}`, param(name, value));
    }
  }
  usage("from = to", new URLSearchParams({ from: now, to: now }).toString());
  usage("from after to", new URLSearchParams({ from: now, to: "2020-01-01T00:00:00Z" }).toString());
  usage(
    "a year by the minute",
    new URLSearchParams({ from: "2020-01-01T00:00:00Z", to: "2021-01-01T00:00:00Z", granularity: "minute" }).toString(),
    "granularity",
  );
  for (const value of ["week", "", "MINUTE", "minutes", "second", "\u0000"]) usage(`granularity=${json(value)}`, param("granularity", value), "granularity");
  usage("unknown parameter", "colour=red", "colour");
  usage("keyId parameter", `keyId=${fixture.targetId}`, "keyId");
  return cases;
}

/** Paths and methods: ids of the wrong shape or unknown, routes that do not exist. */
function pathCases(): Case[] {
  const cases: Case[] = [];
  const target = fixture.targetId;
  const swapped = `key_${[...target.slice(4)].map((c) => (c === c.toUpperCase() ? c.toLowerCase() : c.toUpperCase())).join("")}`;
  const ids = [
    "key_0000000000000000000000",
    swapped,
    target.slice(0, -1),
    `${target}0`,
    `scp_${target.slice(4)}`,
    target.toUpperCase(),
    "nope",
    "key_",
    "%00",
    "%20",
    "%25",
    "..%2F..%2Fhealth",
    "%E2%80%AE",
    "%F0%9F%94%91",
    "'%20OR%201%3D1--",
    "a".repeat(4_000),
  ];
  for (const id of ids) {
    const at = `/api/v1/keys/${id}`;
    const label = id.slice(0, 30);
    cases.push({ what: `get key ${label}`, method: "GET", path: at, status: 404, code: "not_found" });
    cases.push({ what: `update key ${label}`, method: "PATCH", path: at, body: json({ name: "x" }), status: 404, code: "not_found" });
    cases.push({ what: `rotate key ${label}`, method: "POST", path: `${at}/rotate`, body: "{}", status: 404, code: "not_found" });
    cases.push({ what: `revoke key ${label}`, method: "POST", path: `${at}/revoke`, body: "{}", status: 404, code: "not_found" });
    cases.push({ what: `usage of key ${label}`, method: "GET", path: `${at}/usage`, status: 404, code: "not_found" });
  }
  for (const path of [
    `/api/v1/keys/${target}/nope`,
    `/api/v1/keys/${target}/rotate/again`,
    "/api/v1/nope",
    "/api/v2/keys",
    "/api/v1/scopes/orders:read",
    "/api/v1/key",
    "/api/v1/keys/verify/extra",
  ]) {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"]) {
      cases.push({ what: `no route`, method, path, body: method === "GET" || method === "DELETE" ? undefined : "{}", status: 404, code: "not_found" });
    }
  }
  return cases;
}

/** Percent-encoding that does not decode to UTF-8: a bad request, answered in JSON all the same. */
function undecodablePathCases(): Case[] {
  const cases: Case[] = [];
  for (const path of ["/api/v1/keys/%FF", "/api/v1/keys/%C3/rotate", `/api/v1/keys/${fixture.targetId}%FF/revoke`, "/api/%FF", "/api/v1/scopes/%E2%82"]) {
    cases.push({ what: `undecodable path`, method: "GET", path, status: 400, code: "bad_request" });
    cases.push({ what: `undecodable path`, method: "POST", path, body: "{}", status: 400, code: "bad_request" });
  }
  return cases;
}

/** Methods a route does not have (section 7 lists the ones it does). */
function methodCases(): Case[] {
  const routes: [string, string[]][] = [
    ["/api/health", ["GET"]],
    ["/api/health/live", ["GET"]],
    ["/api/openapi.json", ["GET"]],
    ["/api/v1/whoami", ["GET"]],
    ["/api/v1/keys", ["GET", "POST"]],
    ["/api/v1/keys/verify", ["POST"]],
    [keyPath(), ["GET", "PATCH"]],
    [`${keyPath()}/rotate`, ["POST"]],
    [`${keyPath()}/revoke`, ["POST"]],
    [`${keyPath()}/usage`, ["GET"]],
    ["/api/v1/scopes", ["GET", "POST"]],
  ];
  const cases: Case[] = [];
  for (const [path, allowed] of routes) {
    for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"].filter((candidate) => !allowed.includes(candidate))) {
      cases.push({ what: `${method} not allowed`, method, path, body: method === "GET" || method === "DELETE" ? undefined : "{}", status: 405 });
    }
  }
  return cases;
}

/** A key in the query string is refused on every protected endpoint, before anything else. */
function keyInQueryCases(): Case[] {
  const cases: Case[] = [];
  const endpoints: [string, string, string?][] = [
    ["GET", "/api/v1/whoami"],
    ["POST", "/api/v1/keys/verify", json({ key: "x" })],
    ["POST", "/api/v1/keys", json({ name: "via query" })],
    ["GET", "/api/v1/keys"],
    ["GET", keyPath()],
    ["PATCH", keyPath(), json({ name: "via query" })],
    ["POST", `${keyPath()}/rotate`, "{}"],
    ["POST", `${keyPath()}/revoke`, "{}"],
    ["GET", `${keyPath()}/usage`],
    ["GET", "/api/v1/scopes"],
    ["POST", "/api/v1/scopes", json({ name: `${uniq()}:read` })],
  ];
  for (const [method, path, body] of endpoints) {
    for (const name of ["api_key", "apikey", "key", "token", "API_KEY"]) {
      cases.push({ what: `${name} in the query`, method, path: `${path}?${name}=${fixture.rootKey}`, body, status: 400, code: "key_in_query" });
    }
  }
  return cases;
}

/** A body sent chunked carries no Content-Length; the 64 KiB limit must hold while reading. */
function chunked(port: number, method: string, path: string, bytes: number): Promise<{ status: number; contentType: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method,
        path,
        headers: { ...client, authorization: `Bearer ${fixture.rootKey}`, "content-type": "application/json", "transfer-encoding": "chunked" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => (text += chunk));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers["content-type"] ?? ""), text }));
      },
    );
    // The server may answer and stop reading before the whole body is out.
    req.on("error", (error: NodeJS.ErrnoException) => (error.code === "EPIPE" || error.code === "ECONNRESET" ? undefined : reject(error)));
    req.write('{"pad":"');
    const chunk = "x".repeat(8 * 1024);
    for (let sent = 0; sent < bytes; sent += chunk.length) req.write(chunk);
    req.end('"}');
  });
}

// ---- the tests ---------------------------------------------------------------------------------

test("wrong types, bad values and unknown fields in every request body: 400 naming the field", async ({ request }) => {
  await expectAllRefused(request, fieldCases());
});

test("bodies that are not JSON objects, not UTF-8, another content type, too deep or over 64 KiB", async ({ request }) => {
  test.setTimeout(120_000);
  await expectAllRefused(request, bodyShapeCases());
});

test("bodies over 64 KiB sent chunked, without Content-Length: 413", async ({ baseURL }) => {
  const port = Number(new URL(baseURL!).port);
  const before = await snapshot();
  const problems: string[] = [];
  for (const endpoint of bodyEndpoints()) {
    const item: Case = { what: `${endpoint.name}: chunked`, method: endpoint.method, path: endpoint.path, status: 413, code: "payload_too_large" };
    problems.push(...judge(item, await chunked(port, endpoint.method, endpoint.path, 80 * 1024)));
  }
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  expect(problems).toEqual([]);
  expect(await snapshot()).toEqual(before);
});

test("bad query parameters on the key list and usage: 400 naming the parameter", async ({ request }) => {
  await expectAllRefused(request, queryCases());
});

test("ids of the wrong shape, unknown ids and paths without a route: 404 not_found", async ({ request }) => {
  test.setTimeout(120_000);
  await expectAllRefused(request, pathCases());
});

test("paths whose percent-encoding is not UTF-8: 400 in the JSON error contract", async ({ request }) => {
  await expectAllRefused(request, undecodablePathCases());
});

test("a key in the query string on every endpoint: 400 key_in_query", async ({ request }) => {
  await expectAllRefused(request, keyInQueryCases());
});

test("methods a route does not have: 405 in the JSON error contract", async ({ request }) => {
  await expectAllRefused(request, methodCases());
});
