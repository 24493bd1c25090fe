import { afterEach, describe, expect, it, vi } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { runShutdownHooks } from "../../lib/process/shutdown";
import { getUsageRecorder, UsageRecorder } from "../../lib/usage/recorder";
import type { UsageEventInput } from "../../lib/usage/usage-event";
import { webhookFlushHook } from "../../lib/webhooks/usage-flush-hook";
import { insertKeyRow, queryRows } from "../helpers/sql-rows";
import { startTcpProxy } from "../helpers/tcp-proxy";
import { createTestDatabase } from "../helpers/test-database";

// DESIGN.md section 9: usage events are buffered in memory, written in bulk with their per-minute
// rollups, survive a database outage, and a clean stop loses none; last_used_at is written at
// most once per interval per key.

// Run in reverse after each test, so recorders stop before their clients close and clients close
// before their databases are dropped.
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function freshDatabase(): Promise<string> {
  const database = await createTestDatabase("keyhold_usage");
  cleanups.push(() => database.drop());
  await migrate(database.url);
  return database.url;
}

function client(url: string): Db {
  const db = createDb(url);
  cleanups.push(() => db.$disconnect());
  return db;
}

function recorder(db: Db, options?: ConstructorParameters<typeof UsageRecorder>[1]): UsageRecorder {
  const usage = new UsageRecorder(db, options);
  // Bounded so a test whose database is gone cannot hang in cleanup.
  cleanups.push(() => Promise.race([usage.stop(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
  return usage;
}

async function countEvents(url: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(url, "SELECT count(*)::int AS n FROM usage_events");
  return row.n;
}

const BASE = Date.UTC(2026, 10, 23, 12, 0, 0);

function event(overrides: Partial<UsageEventInput> = {}): UsageEventInput {
  return {
    keyId: "key_a",
    outcome: "valid",
    method: "GET",
    path: "/api/v1/things",
    status: 200,
    latencyMs: 1.25,
    ip: "10.0.0.1",
    at: new Date(BASE),
    ...overrides,
  };
}

describe("UsageRecorder", () => {
  it("writes every field of each event", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    usage.record(
      event({
        keyId: "key_a",
        outcome: "valid",
        method: "POST",
        path: "/api/v1/orders",
        status: 201,
        latencyMs: 12.5,
        ip: "192.0.2.7",
        at: new Date(BASE + 1_234),
      }),
    );
    usage.record(
      event({ keyId: null, outcome: "invalid_key", method: "GET", path: "/api/v1/me", status: 401, latencyMs: 0.5, ip: null, at: new Date(BASE + 61_001) }),
    );
    expect(usage.stats().buffered).toBe(2);

    await usage.flush();

    const rows = await queryRows(url, "SELECT key_id, outcome, method, path, status, latency_ms, ip, at FROM usage_events ORDER BY id");
    expect(rows).toEqual([
      { key_id: "key_a", outcome: "valid", method: "POST", path: "/api/v1/orders", status: 201, latency_ms: 12.5, ip: "192.0.2.7", at: new Date(BASE + 1_234) },
      { key_id: null, outcome: "invalid_key", method: "GET", path: "/api/v1/me", status: 401, latency_ms: 0.5, ip: null, at: new Date(BASE + 61_001) },
    ]);
    expect(usage.stats()).toEqual({ buffered: 0, written: 2, dropped: 0, flushFailures: 0 });
  });

  it("writes the uses of a key whose quota is near the largest allowed (2,000,000,000)", async () => {
    const url = await freshDatabase();
    await insertKeyRow(url, "key_big");
    // The quota-low check once multiplied remaining by 10 in int4: every flush then failed,
    // the buffer filled and all usage, of every key, was dropped.
    await queryRows(url, "UPDATE api_keys SET remaining = 2000000000 WHERE id = 'key_big'");
    const usage = recorder(client(url));
    usage.addFlushHook(webhookFlushHook);
    usage.record(event({ keyId: "key_big" }));
    await usage.flush();
    await queryRows(url, "UPDATE api_keys SET remaining = 199999999 WHERE id = 'key_big'");
    usage.record(event({ keyId: "key_big" }));
    await usage.flush();
    expect(await countEvents(url)).toBe(2);
    expect(usage.stats()).toMatchObject({ written: 2, flushFailures: 0 });
  });

  it("writes usage once a step after the write has failed three flushes in a row, and keeps what the other steps did", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    usage.addFlushHook(async (tx) => {
      await tx.$executeRawUnsafe("SELECT 1 / 0");
    });
    usage.addFlushHook(async (tx) => {
      await tx.$executeRawUnsafe("INSERT INTO alert_marks (kind, subject) VALUES ('test', 'after')");
    });
    usage.record(event());
    // A failure that may pass (a lock, a lost connection) is retried with the hooks first.
    for (let i = 0; i < 3; i++) await usage.flush();
    expect(await countEvents(url)).toBe(0);
    expect(usage.stats()).toMatchObject({ written: 0, buffered: 1, flushFailures: 3 });
    await usage.flush();
    expect(await countEvents(url)).toBe(1);
    expect(await queryRows(url, "SELECT kind, subject FROM alert_marks")).toEqual([{ kind: "test", subject: "after" }]);
    expect(usage.stats()).toMatchObject({ written: 1, buffered: 0, flushFailures: 3 });
    expect(errors).toHaveBeenCalledWith(expect.stringContaining("the events are written without it"));
    errors.mockRestore();
  });

  it("keeps rollups equal to the raw event counts per key, minute and outcome across flushes", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    const keys = ["key_a", "key_b", null];
    // Keyless rate_limited is a throttled address, which is only counted (DESIGN.md section 15.7).
    const outcomes = ["valid", "revoked", "expired_key"];
    const expected = new Map<string, number>();
    let i = 0;
    for (let round = 0; round < 3; round++) {
      for (let n = 0; n < 700; n++, i++) {
        const keyId = keys[i % 3];
        const outcome = outcomes[Math.floor(i / 3) % 3];
        // Spread over four minutes, with later rounds landing in minutes earlier rounds used.
        const at = BASE + ((i * 37_013) % 240_000);
        usage.record(event({ keyId, outcome, at: new Date(at) }));
        const key = `${keyId ?? ""}|${new Date(at - (at % 60_000)).toISOString()}|${outcome}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      await usage.flush();
    }

    const rollups = await queryRows<{ key_id: string; minute: Date; outcome: string; count: number }>(
      url,
      "SELECT key_id, minute, outcome, count FROM usage_rollups",
    );
    const actual = new Map(rollups.map((row) => [`${row.key_id}|${row.minute.toISOString()}|${row.outcome}`, row.count]));
    expect(actual).toEqual(expected);
    // Every key (the unknown one too) x four minutes x three outcomes.
    expect(actual.size).toBe(36);

    const raw = await queryRows<{ key_id: string; minute: Date; outcome: string; count: number }>(
      url,
      `SELECT coalesce(key_id, '') AS key_id, date_trunc('minute', at) AS minute, outcome, count(*)::int AS count
       FROM usage_events GROUP BY 1, 2, 3`,
    );
    expect(new Map(raw.map((row) => [`${row.key_id}|${row.minute.toISOString()}|${row.outcome}`, row.count]))).toEqual(expected);
  });

  it("flushes early when batchSize events are buffered, without waiting for the interval", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url), { flushIntervalMs: 60_000, batchSize: 50 });
    usage.start();
    for (let i = 0; i < 49; i++) usage.record(event());
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await countEvents(url)).toBe(0);

    usage.record(event());
    await vi.waitFor(async () => expect(await countEvents(url)).toBe(50), { timeout: 5_000, interval: 50 });
    expect(usage.stats().buffered).toBe(0);
  });

  it("writes on the timer", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url), { flushIntervalMs: 100 });
    usage.start();
    usage.record(event());
    await vi.waitFor(async () => expect(await countEvents(url)).toBe(1), { timeout: 5_000, interval: 50 });
  });

  it("loses no event on stop()", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    usage.start();
    for (let i = 0; i < 10_000; i++) usage.record(event({ path: `/e/${i}`, keyId: i % 10 === 0 ? null : `key_${i % 7}` }));

    await usage.stop();

    const [row] = await queryRows<{ n: number; distinct_paths: number; rolled: number }>(
      url,
      `SELECT count(*)::int AS n, count(DISTINCT path)::int AS distinct_paths,
              (SELECT sum(count)::int FROM usage_rollups) AS rolled
       FROM usage_events`,
    );
    expect(row).toEqual({ n: 10_000, distinct_paths: 10_000, rolled: 10_000 });
    expect(usage.stats()).toMatchObject({ buffered: 0, written: 10_000, dropped: 0 });
  });

  it("never writes an event twice when flushes overlap", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    let n = 0;
    const flushes: Promise<void>[] = [];
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 1_200; i++) usage.record(event({ path: `/e/${n++}` }));
      flushes.push(usage.flush(), usage.flush());
    }
    await Promise.all(flushes);
    await usage.flush();

    const [row] = await queryRows<{ n: number; distinct_paths: number }>(
      url,
      "SELECT count(*)::int AS n, count(DISTINCT path)::int AS distinct_paths FROM usage_events",
    );
    expect(row).toEqual({ n, distinct_paths: n });
    expect(usage.stats()).toMatchObject({ buffered: 0, written: n });
  });

  it("writes last_used_at once per interval per key, not per event", async () => {
    const url = await freshDatabase();
    await insertKeyRow(url, "key_a");
    await insertKeyRow(url, "key_b");
    // Every write of last_used_at leaves a row here, so the test counts writes, not just values.
    await queryRows(
      url,
      `CREATE TABLE last_used_writes (key_id text NOT NULL, last_used_at timestamptz(3));
       CREATE FUNCTION note_last_used() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN INSERT INTO last_used_writes VALUES (NEW.id, NEW.last_used_at); RETURN NEW; END $$;
       CREATE TRIGGER note_last_used AFTER UPDATE OF last_used_at ON api_keys FOR EACH ROW EXECUTE FUNCTION note_last_used();`,
    );
    const intervalMs = 2_000;
    const usage = recorder(client(url), { lastUsedIntervalMs: intervalMs });
    const writes = () =>
      queryRows<{ key_id: string; n: number }>(url, "SELECT key_id, count(*)::int AS n FROM last_used_writes GROUP BY key_id ORDER BY key_id");
    const lastUsed = () => queryRows<{ id: string; last_used_at: Date | null }>(url, "SELECT id, last_used_at FROM api_keys ORDER BY id");

    const started = performance.now();
    let t = BASE;
    for (let i = 0; i < 300; i++) usage.record(event({ keyId: i % 2 === 0 ? "key_a" : "key_b", at: new Date(++t) }));
    // An id with no api_keys row (deleted key) must not fail the write.
    usage.record(event({ keyId: "key_gone", at: new Date(++t) }));
    await usage.flush();
    const firstNewest = { key_a: BASE + 299, key_b: BASE + 300 };

    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < 100; i++) usage.record(event({ keyId: i % 2 === 0 ? "key_a" : "key_b", at: new Date(++t) }));
      await usage.flush();
    }
    // The assertions below rely on all four flushes falling inside one interval.
    expect(performance.now() - started).toBeLessThan(intervalMs);

    expect(await writes()).toEqual([
      { key_id: "key_a", n: 1 },
      { key_id: "key_b", n: 1 },
    ]);
    expect(await lastUsed()).toEqual([
      { id: "key_a", last_used_at: new Date(firstNewest.key_a) },
      { id: "key_b", last_used_at: new Date(firstNewest.key_b) },
    ]);
    expect(await countEvents(url)).toBe(601);

    // Once the interval has passed, the newest held-back time is written even with no new events.
    await new Promise((resolve) => setTimeout(resolve, intervalMs + 100));
    await usage.flush();
    expect(await writes()).toEqual([
      { key_id: "key_a", n: 2 },
      { key_id: "key_b", n: 2 },
    ]);
    expect(await lastUsed()).toEqual([
      { id: "key_a", last_used_at: new Date(t - 1) },
      { id: "key_b", last_used_at: new Date(t) },
    ]);

    // Nothing new and still inside the interval: no write at all.
    await usage.flush();
    expect((await writes()).map((row) => row.n)).toEqual([2, 2]);
  });

  it("keeps events through a database outage and writes each exactly once when it returns", async () => {
    const url = await freshDatabase();
    const target = new URL(url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const usage = recorder(client(proxied.toString()), { flushIntervalMs: 100 });
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    cleanups.push(() => errors.mockRestore());
    const secret = "kh_live_" + "a1B2c3D4e5".repeat(3) + "f6G7h8I9";

    for (let i = 0; i < 100; i++) usage.record(event({ path: `/e/${i}` }));
    await usage.flush();
    expect(usage.stats()).toMatchObject({ buffered: 0, written: 100, flushFailures: 0 });

    await proxy.cut();
    usage.start();
    for (let i = 100; i < 400; i++) usage.record(event({ keyId: i % 3 === 0 ? null : "key_a", path: `/e/${i}/${secret}` }));
    await expect(usage.flush()).resolves.toBeUndefined();
    // The timer keeps retrying against the dead database; none of that may throw or lose events.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const down = usage.stats();
    expect(down.flushFailures).toBeGreaterThan(1);
    expect(down).toMatchObject({ buffered: 300, written: 100, dropped: 0 });
    expect(await countEvents(url)).toBe(100);

    await proxy.restore();
    await usage.flush();
    expect(usage.stats()).toMatchObject({ buffered: 0, written: 400, dropped: 0 });

    const [row] = await queryRows<{ n: number; distinct_paths: number; rolled: number }>(
      url,
      `SELECT count(*)::int AS n, count(DISTINCT path)::int AS distinct_paths,
              (SELECT sum(count)::int FROM usage_rollups) AS rolled
       FROM usage_events`,
    );
    expect(row).toEqual({ n: 400, distinct_paths: 400, rolled: 400 });
    const paths = await queryRows<{ path: string }>(url, "SELECT path FROM usage_events WHERE path LIKE '/e/100/%'");
    expect(paths).toEqual([{ path: "/e/100/kh_live_[redacted]" }]);

    expect(errors).toHaveBeenCalled();
    for (const call of errors.mock.calls) expect(call.map(String).join(" ")).not.toContain(secret);
  });

  it("gives up in stop() after its bound when the database stays down, keeping the events", async () => {
    const url = await freshDatabase();
    const target = new URL(url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const proxied = new URL(url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const usage = recorder(client(proxied.toString()), { stopTimeoutMs: 500 });
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    cleanups.push(() => vi.mocked(console.error).mockRestore());
    await proxy.cut();
    usage.start();
    for (let i = 0; i < 20; i++) usage.record(event());

    const started = performance.now();
    await usage.stop();
    expect(performance.now() - started).toBeLessThan(3_000);
    expect(usage.stats()).toMatchObject({ buffered: 20, written: 0, dropped: 0 });
    expect(usage.stats().flushFailures).toBeGreaterThan(1);

    await proxy.restore();
    await usage.stop();
    expect(usage.stats()).toMatchObject({ buffered: 0, written: 20 });
    expect(await countEvents(url)).toBe(20);
  });

  it("drops the oldest events beyond maxBuffered and counts them", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url), { maxBuffered: 100 });
    vi.spyOn(console, "error").mockImplementation(() => undefined);
    cleanups.push(() => vi.mocked(console.error).mockRestore());
    for (let i = 0; i < 250; i++) usage.record(event({ path: `/e/${i}` }));
    expect(usage.stats()).toEqual({ buffered: 100, written: 0, dropped: 150, flushFailures: 0 });

    await usage.flush();

    const rows = await queryRows<{ path: string }>(url, "SELECT path FROM usage_events ORDER BY id");
    expect(rows.map((row) => row.path)).toEqual(Array.from({ length: 100 }, (_, i) => `/e/${i + 150}`));
    expect(usage.stats()).toEqual({ buffered: 0, written: 100, dropped: 150, flushFailures: 0 });
  });

  it("never lets a malformed event throw or block the buffer", async () => {
    const url = await freshDatabase();
    const usage = recorder(client(url));
    expect(() => usage.record(null as unknown as UsageEventInput)).not.toThrow();
    expect(() =>
      usage.record(
        event({
          keyId: "key_a",
          path: "/a\0b?api_key=kh_test_" + "x".repeat(38),
          status: 200.5,
          latencyMs: Number.NaN,
          at: new Date(Number.NaN),
        }),
      ),
    ).not.toThrow();
    // A lone surrogate is stored as U+FFFD, as UTF-8 encoding gives it, and fails nothing.
    usage.record(event({ path: "/x\ud800y", ip: "\udc00" }));
    usage.record(event({ path: "/fine" }));

    await usage.flush();

    expect(usage.stats()).toMatchObject({ buffered: 0, written: 3, flushFailures: 0 });
    const rows = await queryRows<{ path: string; status: number; latency_ms: number; ip: string }>(
      url,
      "SELECT path, status, latency_ms, ip FROM usage_events ORDER BY id",
    );
    expect(rows).toEqual([
      { path: "/ab", status: 0, latency_ms: 0, ip: "10.0.0.1" },
      { path: "/x\ufffdy", status: 200, latency_ms: 1.25, ip: "\ufffd" },
      { path: "/fine", status: 200, latency_ms: 1.25, ip: "10.0.0.1" },
    ]);
  });

  // Last: the shutdown hooks run once per process and close the shared client.
  it("shares one started recorder per process and flushes it on shutdown", async () => {
    const usage = getUsageRecorder();
    expect(getUsageRecorder()).toBe(usage);
    expect((globalThis as { keyholdSingletons?: Map<string, unknown> }).keyholdSingletons?.get("keyholdUsageRecorder")).toBe(usage);
    const path = `/shutdown/${Date.now()}/${Math.random()}`;
    usage.record(event({ path }));

    await runShutdownHooks();

    const rows = await queryRows(process.env.DATABASE_URL!, "SELECT path FROM usage_events WHERE path = $1", [path]);
    expect(rows).toHaveLength(1);
    expect(usage.stats().buffered).toBe(0);
  });
});
