import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { createDb, type Db } from "../../lib/db/client";
import { generateKey } from "../../lib/keys/format";
import { issueKey, revokeKey } from "../../lib/keys/service";
import { launch, waitForHealthy, type Launched } from "../helpers/launcher";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database";

// Metrics and request logs of the production server (issue items 4 and 5): GET /api/metrics
// counts exactly what was sent and is guarded by KEYHOLD_METRICS_TOKEN (off without it); every
// request is one JSON log line whose id the response echoes; and no secret reaches the output.
// These tests run servers of their own, on a database of their own, to read their output.
test.describe.configure({ mode: "serial" });

const SECRET = `observability-secret-${randomBytes(16).toString("hex")}`;
const TOKEN = `metrics-token-${randomBytes(16).toString("hex")}`;
const COOKIE = `cookie-secret-${randomBytes(16).toString("hex")}`;
const PASSWORD = `password-secret-${randomBytes(16).toString("hex")}`;
const system = { type: "system" as const, id: null };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Server {
  base: string;
  run: Launched;
  dataDir: string;
}

interface Sent {
  id: string | null;
  method: string;
  path: string;
  status: number;
  responseId: string | null;
  keyId?: string | null;
  outcome?: string;
}

let database: TestDatabase;
let db: Db;
let metered: Server;
let quiet: Server;
const servers: Server[] = [];
const plaintexts: string[] = [];
const sent: Sent[] = [];

function start(port: number, env: Record<string, string>): Server {
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-observability-"));
  const run = launch("start", { PORT: String(port), DATABASE_URL: database.url, NEXTAUTH_SECRET: SECRET, KEYHOLD_DATA_DIR: dataDir, ...env });
  const server = { base: `http://127.0.0.1:${port}`, run, dataDir };
  servers.push(server);
  return server;
}

async function ready(server: Server): Promise<void> {
  const exited = server.run.exited.then((code) => {
    throw new Error(`launcher for ${server.base} exited with ${code}; output:\n${server.run.output()}`);
  });
  try {
    await Promise.race([waitForHealthy(server.base, 120_000), exited]);
  } finally {
    exited.catch(() => undefined);
  }
}

async function stop(server: Server): Promise<void> {
  const { child } = server.run;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill("SIGTERM");
    await Promise.race([server.run.exited, sleep(15_000)]);
  }
  try {
    process.kill(-child.pid!, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

async function issue(settings: Parameters<typeof issueKey>[1]) {
  const issued = await issueKey(db, settings, system);
  plaintexts.push(issued.key);
  return issued;
}

let counter = 0;

/** Sends one request with a fresh X-Request-Id and remembers what the log should say about it. */
async function send(
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; id?: string | null } = {},
  expected: { keyId?: string | null; outcome?: string } = {},
): Promise<Response> {
  const id = init.id === undefined ? `obs-${Date.now().toString(36)}-${++counter}` : init.id;
  const headers: Record<string, string> = { ...init.headers };
  if (id !== null) headers["x-request-id"] = id;
  const response = await fetch(`${metered.base}${path}`, { method: init.method ?? "GET", headers, body: init.body, redirect: "manual" });
  await response.arrayBuffer();
  sent.push({
    id,
    method: init.method ?? "GET",
    path: path.split("?")[0]!,
    status: response.status,
    responseId: response.headers.get("x-request-id"),
    ...expected,
  });
  return response;
}

function jsonLines(output: string): Record<string, unknown>[] {
  return output
    .split("\n")
    .filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** name{labels} -> value for every sample of a Prometheus text exposition. */
function parseMetrics(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?) (\S+)$/.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    samples.set(match[1]!, Number(match[2]));
  }
  return samples;
}

async function scrape(base: string, authorization?: string) {
  const response = await fetch(`${base}/api/metrics`, { headers: authorization ? { authorization } : {} });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

test.beforeAll(async () => {
  test.setTimeout(240_000);
  database = await createTestDatabase("keyhold_e2e_observability");
  db = createDb(database.url, 4);
  metered = start(3151, { KEYHOLD_METRICS_TOKEN: TOKEN, LOG_LEVEL: "info" });
  quiet = start(3152, { LOG_LEVEL: "silent" });
  await Promise.all([ready(metered), ready(quiet)]);
});

test.afterAll(async () => {
  for (const server of servers) {
    await stop(server);
    rmSync(server.dataDir, { recursive: true, force: true });
  }
  await db?.$disconnect();
  await database?.drop();
});

test("GET /api/metrics counts the verifications that were sent, by outcome", async () => {
  test.setTimeout(120_000);
  const plain = await issue({ name: "plain" });
  const limited = await issue({ name: "limited", ratelimit: { limit: 2, windowMs: 3_600_000 } });
  const revoked = await issue({ name: "revoked" });
  await revokeKey(db, revoked.record.id, null, system);
  const root = await issue({ name: "root", scopes: ["keys:verify"] });
  const unknown = generateKey("live");
  plaintexts.push(unknown);

  const before = parseMetrics((await scrape(metered.base, `Bearer ${TOKEN}`)).text);
  expect(before.get('keyhold_verifications_total{outcome="valid"}')).toBe(0);

  const valid = { keyId: plain.record.id, outcome: "valid" };
  for (let i = 0; i < 3; i++) {
    expect((await send("/api/v1/whoami", { headers: { authorization: `Bearer ${plain.key}` } }, valid)).status).toBe(200);
  }
  expect((await send("/api/v1/whoami?view=full&debug=1", { headers: { "x-api-key": plain.key } }, valid)).status).toBe(200);
  for (let i = 0; i < 2; i++) {
    const response = await send("/api/v1/whoami", { headers: { "x-api-key": limited.key } }, { keyId: limited.record.id, outcome: "valid" });
    expect(response.status).toBe(200);
  }
  const limitedOut = await send("/api/v1/whoami", { headers: { "x-api-key": limited.key } }, { keyId: limited.record.id, outcome: "rate_limited" });
  expect(limitedOut.status).toBe(429);
  for (let i = 0; i < 2; i++) {
    expect((await send("/api/v1/whoami", { headers: { "x-api-key": unknown } }, { keyId: null, outcome: "invalid_key" })).status).toBe(401);
  }
  expect((await send("/api/v1/whoami", {}, { keyId: null, outcome: "missing_key" })).status).toBe(401);
  expect((await send("/api/v1/whoami", { headers: { "x-api-key": revoked.key } }, { keyId: revoked.record.id, outcome: "revoked_key" })).status).toBe(401);
  expect((await send(`/api/v1/whoami?api_key=${plain.key}`, {}, { keyId: null, outcome: "key_in_query" })).status).toBe(400);

  // The verify endpoint is two verifications: the caller's root key, and the key it asks about.
  const verify = (key: string) =>
    send(
      "/api/v1/keys/verify",
      { method: "POST", headers: { authorization: `Bearer ${root.key}`, "content-type": "application/json" }, body: JSON.stringify({ key }) },
      { keyId: root.record.id, outcome: "valid" },
    );
  expect((await verify(plain.key)).status).toBe(200);
  expect((await verify(unknown)).status).toBe(200);

  const scraped = await scrape(metered.base, `Bearer ${TOKEN}`);
  expect(scraped.status).toBe(200);
  expect(scraped.headers.get("content-type")).toContain("text/plain");
  expect(scraped.headers.get("cache-control")).toBe("no-store");
  expect(scraped.text).toContain("# TYPE keyhold_verifications_total counter");
  expect(scraped.text).toContain("# TYPE keyhold_verification_duration_seconds histogram");
  const after = parseMetrics(scraped.text);
  const count = (outcome: string) => after.get(`keyhold_verifications_total{outcome="${outcome}"}`);
  expect(count("valid")).toBe(4 + 2 + 2 + 1);
  expect(count("rate_limited")).toBe(1);
  expect(count("invalid_key")).toBe(2 + 1);
  expect(count("missing_key")).toBe(1);
  expect(count("revoked_key")).toBe(1);
  expect(count("key_in_query")).toBe(1);
  expect(count("expired_key")).toBe(0);
  const verifications = 9 + 1 + 3 + 1 + 1 + 1;
  expect(after.get("keyhold_verification_duration_seconds_count")).toBe(verifications);
  expect(after.get('keyhold_verification_duration_seconds_bucket{le="+Inf"}')).toBe(verifications);
  // Every verification that got past reading the headers went through the key cache once.
  const cacheLookups = (after.get("keyhold_key_cache_hits_total") ?? 0) + (after.get("keyhold_key_cache_misses_total") ?? 0);
  expect(cacheLookups).toBe(verifications - 2);
  // Five distinct keys, each looked up in the database at least once; more than five when the
  // change listener's first connection cleared the cache in between (it does, once, at startup).
  expect(after.get("keyhold_key_cache_misses_total")).toBeGreaterThanOrEqual(5);
  expect(after.get("keyhold_key_cache_hits_total")).toBeGreaterThanOrEqual(1);

  for (const name of ["keyhold_usage_buffered_events", "keyhold_usage_dropped_events_total", "keyhold_usage_flush_failures_total"]) {
    expect(after.get(name), name).toBeGreaterThanOrEqual(0);
  }
  expect(after.get("keyhold_usage_dropped_events_total")).toBe(0);
  expect(after.get("keyhold_db_pool_connections")).toBeGreaterThanOrEqual(1);
  expect(after.get("keyhold_db_pool_idle_connections")).toBeGreaterThanOrEqual(0);
  expect(after.get("keyhold_db_pool_waiting_requests")).toBe(0);
  // The usage buffer is written within a second or so; the scrape then shows it. The two
  // verifications refused before any key lookup (no key, a key in the URL) are counted in the
  // derived tables only, never written as events (DESIGN.md section 15.7).
  await expect(async () => {
    const later = parseMetrics((await scrape(metered.base, `Bearer ${TOKEN}`)).text);
    expect(later.get("keyhold_usage_written_events_total")).toBe(verifications - 2);
    expect(later.get("keyhold_usage_buffered_events")).toBe(0);
  }).toPass({ timeout: 10_000 });
  const counted = await db.$queryRaw<{ outcome: string; requests: number }[]>`
    SELECT outcome, sum(requests)::int AS requests FROM usage_hours
    WHERE outcome IN ('missing_key', 'key_in_query') GROUP BY outcome ORDER BY outcome`;
  expect(counted).toEqual([
    { outcome: "key_in_query", requests: 1 },
    { outcome: "missing_key", requests: 1 },
  ]);
});

test("GET /api/metrics wants the bearer token, and is off (404) without KEYHOLD_METRICS_TOKEN", async () => {
  const expectError = (result: { status: number; headers: Headers; text: string }, status: number, code: string) => {
    expect(result.status).toBe(status);
    const body = JSON.parse(result.text) as { error: { code: string; message: string } };
    expect(body.error.code).toBe(code);
    expect(body.error.message).toEqual(expect.any(String));
    expect(result.text).not.toContain(TOKEN);
  };
  const missing = await scrape(metered.base);
  expectError(missing, 401, "missing_key");
  expect(missing.headers.get("www-authenticate")).toMatch(/^Bearer/);
  expectError(await scrape(metered.base, "Bearer not-the-metrics-token"), 401, "invalid_key");
  expectError(await scrape(metered.base, `Bearer ${TOKEN.slice(0, -1)}`), 401, "invalid_key");
  expectError(await scrape(metered.base, `Basic ${TOKEN}`), 401, "missing_key");
  expectError(await scrape(quiet.base), 404, "not_found");
  expectError(await scrape(quiet.base, `Bearer ${TOKEN}`), 404, "not_found");
});

test("every request is one JSON log line, and its X-Request-Id is the logged id", async () => {
  const ownFrom = sent.length;
  // Every outcome field a line can carry, from requests of this test's own: it must not depend
  // on what an earlier test sent.
  const logged = await issue({ name: "logged" });
  const service = await issue({ name: "logged service", scopes: ["keys:verify"] });
  const unknown = generateKey("live");
  plaintexts.push(unknown);
  await send("/api/v1/whoami", { headers: { "x-api-key": logged.key } }, { keyId: logged.record.id, outcome: "valid" });
  await send("/api/v1/whoami", { headers: { "x-api-key": unknown } }, { keyId: null, outcome: "invalid_key" });
  await send("/api/v1/whoami", {}, { keyId: null, outcome: "missing_key" });
  await send(`/api/v1/whoami?api_key=${logged.key}`, {}, { keyId: null, outcome: "key_in_query" });
  for (const key of [logged.key, unknown]) {
    await send(
      "/api/v1/keys/verify",
      { method: "POST", headers: { authorization: `Bearer ${service.key}`, "content-type": "application/json" }, body: JSON.stringify({ key }) },
      { keyId: service.record.id, outcome: "valid" },
    );
  }
  // Requests that carry secrets in places a careless logger would write out.
  await send("/api/nothing/here", { headers: { cookie: `next-auth.session-token=${COOKIE}` } });
  await send(`/api/nothing/${plaintexts[0]}`);
  await send("/api/auth/callback/credentials", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ email: "nobody@example.com", password: PASSWORD }).toString(),
  });
  // An id a client may not choose is replaced by one of the server's; no id gets one too.
  await send("/api/health", { id: "has spaces and <markup>" });
  await send("/api/health", { id: "x".repeat(65) });
  await send("/api/health", { id: null });
  const last = await send("/api/health");

  const lastId = last.headers.get("x-request-id")!;
  await metered.run.waitForOutput(new RegExp(`"requestId":"${lastId}"`), 10_000);
  const lines = jsonLines(metered.run.output()).filter((line) => line.msg === "request");
  const byId = new Map<string, Record<string, unknown>[]>();
  for (const line of lines) {
    const id = line.requestId as string;
    byId.set(id, [...(byId.get(id) ?? []), line]);
  }
  // Each request the server saw was logged once (health checks and scrapes included).
  for (const [id, entries] of byId) expect(entries, id).toHaveLength(1);

  // This test's requests, and those of any test before it.
  for (const request of sent) {
    expect(request.responseId, request.path).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
    if (request.id !== null && /^[A-Za-z0-9._-]{1,64}$/.test(request.id)) expect(request.responseId).toBe(request.id);
    else expect(request.responseId).not.toBe(request.id);
    const entries = byId.get(request.responseId!);
    expect(entries, `log line for ${request.method} ${request.path}`).toHaveLength(1);
    const line = entries![0]!;
    expect(line).toMatchObject({ level: 30, requestId: request.responseId, method: request.method, status: request.status });
    expect(line.path).toBe(request.path.replace(/kh_(live|test)_[0-9A-Za-z]{38}/, "kh_$1_[redacted]"));
    expect(line.latencyMs).toEqual(expect.any(Number));
    expect(line.latencyMs as number).toBeGreaterThanOrEqual(0);
    expect(typeof line.time).toBe("string");
    if (request.outcome !== undefined) {
      expect(line.keyId).toBe(request.keyId);
      expect(line.outcome).toBe(request.outcome);
    } else {
      expect(line).not.toHaveProperty("outcome");
    }
  }

  // POST /api/v1/keys/verify also names the key it verified for the service, by id.
  const verifies = sent
    .slice(ownFrom)
    .filter((request) => request.path === "/api/v1/keys/verify")
    .map((request) => byId.get(request.responseId!)![0]!);
  expect(verifies.map((line) => [line.verifiedKeyId === null ? null : typeof line.verifiedKeyId, line.verifiedOutcome])).toEqual([
    ["string", "valid"],
    [null, "invalid_key"],
  ]);

  // LOG_LEVEL=silent: the other server logged nothing, though it answered requests.
  expect(jsonLines(quiet.run.output())).toEqual([]);
});

test("no key, token, cookie, password or NEXTAUTH_SECRET appears anywhere in the servers' output", async () => {
  test.setTimeout(60_000);
  // Stopped first, so that shutdown's own output is included.
  for (const server of servers) await stop(server);
  expect(plaintexts.length).toBeGreaterThanOrEqual(5);
  for (const server of servers) {
    const output = server.run.output();
    for (const secret of [...plaintexts, SECRET, TOKEN, COOKIE, PASSWORD]) {
      expect(output.includes(secret), `${secret.slice(0, 12)}... in the output of ${server.base}`).toBe(false);
    }
  }
  expect(jsonLines(metered.run.output()).length).toBeGreaterThan(sent.length);
});
