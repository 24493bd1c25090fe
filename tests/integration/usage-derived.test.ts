import pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";

import { DERIVED_USAGE_TABLES } from "../../lib/usage/derived-tables";
import { keyAddresses } from "../../lib/usage/key-addresses";
import { keyUsageWithLatency } from "../../lib/usage/key-usage";
import { latencySeries } from "../../lib/usage/query-usage";
import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { UsageRecorder } from "../../lib/usage/recorder";
import type { UsageEventInput } from "../../lib/usage/usage-event";
import { topPaths } from "../../lib/usage/usage-summary";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 15.2: the flush writes the derived tables in the raw rows' transaction, and
// they always equal what the raw events say; `usage rebuild` recomputes them to the same rows.
// Section 15.7: requests refused without a lookup are only counted, and paths are cut at 512.

const shared = databaseForThisFile("keyhold_usage_derived");

const DERIVED: string[] = DERIVED_USAGE_TABLES.map(({ table }) => table);

beforeEach(async () => {
  await shared.admin.query(`TRUNCATE usage_events, audit_logs, ${DERIVED.join(", ")} RESTART IDENTITY`);
});

// A fixed-seed generator: the workload is random but the same on every run.
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = state;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const DAY = Date.UTC(2026, 10, 23);
const KEYS = ["key_a", "key_b", "key_c", null];
const OUTCOMES = ["valid", "valid", "valid", "rate_limited", "expired_key", "insufficient_scope"];

function workload(count: number, seed: number): UsageEventInput[] {
  const next = random(seed);
  const pick = <T>(items: readonly T[]) => items[Math.floor(next() * items.length)];
  return Array.from({ length: count }, () => {
    const keyId = pick(KEYS);
    const outcome = keyId === null ? pick(["invalid_key", "missing_key", "rate_limited"]) : pick(OUTCOMES);
    // Log-normal latencies from about 0.1 ms to a few seconds, as real traffic spreads.
    const latencyMs = Math.exp(Math.log(5) + 1.5 * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()));
    return {
      keyId,
      outcome,
      method: pick(["GET", "POST"]),
      path: pick(["/api/v1/orders", "/api/v1/me", "/api/v1/things/1"]),
      status: outcome === "valid" ? pick([200, 200, 200, 404, 500]) : 401,
      latencyMs,
      ip: pick(["192.0.2.1", "192.0.2.2", "2001:db8::1"]),
      // Two days and a half, so hours and days have edges in the range.
      at: new Date(DAY + Math.floor(next() * 2.5 * 86_400_000)),
    };
  });
}

async function recordAll(events: UsageEventInput[], flushEvery: number): Promise<void> {
  const usage = new UsageRecorder(shared.db);
  events.forEach((event, i) => {
    usage.record(event);
    if (i % flushEvery === flushEvery - 1) void usage.flush();
  });
  await usage.stop();
}

async function rows<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await shared.admin.query<T>(sql, params)).rows;
}

// Every derived row, latency histograms as text (so their lower bounds count), in a fixed order.
async function snapshot(): Promise<Record<string, unknown[]>> {
  const result: Record<string, unknown[]> = {};
  for (const table of DERIVED) {
    const hasLatency = ["usage_hours", "usage_key_hours", "usage_path_hours"].includes(table);
    result[table] = await rows(`SELECT *${hasLatency ? ", latency::text AS latency" : ""} FROM ${table} ORDER BY 1, 2, 3, 4`);
  }
  return result;
}

const rebuild = (from = new Date(DAY), to = new Date(DAY + 3 * 86_400_000)) =>
  rebuildUsage(shared.db, { from, to, actor: { type: "cli", id: null }, rawRetentionDays: 400 });

describe("the flush's derived tables", () => {
  it("equal the raw counts for a random workload, and a rebuild reproduces them row for row", async () => {
    const events = workload(6_000, 1);
    await recordAll(events, 700);
    const unlooked = events.filter((e) => e.keyId === null && ["missing_key", "rate_limited"].includes(e.outcome)).length;
    expect(unlooked).toBeGreaterThan(0);
    expect(Number((await rows<{ n: string }>("SELECT count(*) AS n FROM usage_events"))[0].n)).toBe(events.length - unlooked);

    // Each table against the same grouping of the raw events (plus, where kept, the counts of
    // requests refused without a lookup, which have no raw rows).
    const expectedPerKey = (unit: string) => {
      const map = new Map<string, number>();
      for (const e of events) {
        const ms = new Date(e.at).getTime();
        const bucket = ms - (ms % { minute: 60_000, hour: 3_600_000, day: 86_400_000 }[unit]!);
        const id = `${e.keyId ?? ""}|${new Date(bucket).toISOString()}|${e.outcome}`;
        map.set(id, (map.get(id) ?? 0) + 1);
      }
      return map;
    };
    const actualPerKey = async (table: string, column: string, value: string) =>
      new Map(
        // Number(): the bigint counters come back from pg as strings.
        (
          await rows<{ k: string; t: Date; o: string; n: number | string }>(`SELECT key_id AS k, ${column} AS t, outcome AS o, ${value} AS n FROM ${table}`)
        ).map((r) => [`${r.k}|${r.t.toISOString()}|${r.o}`, Number(r.n)]),
      );
    expect(await actualPerKey("usage_rollups", "minute", "count")).toEqual(expectedPerKey("minute"));
    expect(await actualPerKey("usage_key_hours", "hour", "requests")).toEqual(expectedPerKey("hour"));
    expect(await actualPerKey("usage_key_hours", "hour", "credits")).toEqual(expectedPerKey("hour"));
    expect(await actualPerKey("usage_key_days", "day", "requests")).toEqual(expectedPerKey("day"));

    const [global] = await rows<{ requests: string; s4: string; s5: string }>(
      "SELECT sum(requests) AS requests, sum(status_4xx) AS s4, sum(status_5xx) AS s5 FROM usage_hours",
    );
    expect(Number(global.requests)).toBe(events.length);
    expect(Number(global.s4)).toBe(events.filter((e) => e.status >= 400 && e.status < 500).length);
    expect(Number(global.s5)).toBe(events.filter((e) => e.status >= 500).length);

    expect(
      await rows(`SELECT p.hour, p.method, p.path, p.outcome, p.requests, p.status_4xx, p.status_5xx FROM usage_path_hours p ORDER BY 1, 2, 3, 4`),
    ).toEqual(
      await rows(
        `SELECT date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, method, path, outcome, count(*)::int AS requests,
                count(*) FILTER (WHERE status BETWEEN 400 AND 499)::int AS status_4xx, count(*) FILTER (WHERE status >= 500)::int AS status_5xx
         FROM usage_events GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      ),
    );
    expect(await rows(`SELECT day, method, path, outcome, requests::int FROM usage_path_days ORDER BY 1, 2, 3, 4`)).toEqual(
      await rows(
        `SELECT date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, method, path, outcome, count(*)::int AS requests
         FROM usage_events GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
      ),
    );
    expect(await rows(`SELECT key_id, day, ip, requests::int, denied::int, last_seen_at FROM usage_key_addresses ORDER BY 1, 2, 3`)).toEqual(
      await rows(
        `SELECT key_id, date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS day, ip, count(*)::int AS requests,
                count(*) FILTER (WHERE outcome <> 'valid')::int AS denied, max(at) AS last_seen_at
         FROM usage_events WHERE key_id IS NOT NULL GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      ),
    );
    expect(await rows(`SELECT * FROM usage_invalid_addresses ORDER BY 1, 2`)).toEqual(
      await rows(
        `SELECT date_trunc('hour', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour, ip, count(*)::int AS attempts, min(at) AS first_at, max(at) AS last_at
         FROM usage_events WHERE outcome = 'invalid_key' GROUP BY 1, 2 ORDER BY 1, 2`,
      ),
    );

    const flushed = await snapshot();
    const first = await rebuild();
    expect(first).toEqual({ from: "2026-11-23T00:00:00.000Z", to: "2026-11-26T00:00:00.000Z", events: events.length - unlooked });
    expect(await snapshot()).toEqual(flushed);
    await rebuild(new Date(DAY + 5_000), new Date(DAY + 86_400_000 + 1));
    expect(await snapshot()).toEqual(flushed);

    const audit = await rows<{ actor_type: string; action: string; data: unknown }>("SELECT actor_type, action, data FROM audit_logs ORDER BY id");
    expect(audit).toEqual([
      { actor_type: "cli", action: "usage.rebuilt", data: { from: "2026-11-23T00:00:00.000Z", to: "2026-11-26T00:00:00.000Z", events: first.events } },
      { actor_type: "cli", action: "usage.rebuilt", data: { from: "2026-11-23T00:00:00.000Z", to: "2026-11-25T00:00:00.000Z", events: expect.any(Number) } },
    ]);
  });

  it("gives percentiles within 5% of the exact ones of the raw events, the same after a rebuild", async () => {
    const events = workload(20_000, 2).filter((e) => e.keyId !== null);
    await recordAll(events, 5_000);
    const range = { from: new Date(DAY), to: new Date(DAY + 3 * 86_400_000) };

    // Exact nearest-rank percentiles of the stored (4-byte float) latencies, per day.
    const exact = await rows<{ at: Date; p50: number; p95: number; p99: number }>(
      `SELECT date_trunc('day', at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS at,
              percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_ms) AS p50,
              percentile_disc(0.95) WITHIN GROUP (ORDER BY latency_ms) AS p95,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_ms) AS p99
       FROM usage_events WHERE key_id = 'key_b' GROUP BY 1 ORDER BY 1`,
    );
    const fromHistograms = await latencySeries(shared.db, { keyId: "key_b", ...range, granularity: "day" });
    expect(fromHistograms.map((point) => point.at)).toEqual(exact.map((row) => row.at.toISOString()));
    for (const [i, point] of fromHistograms.entries()) {
      for (const q of ["p50", "p95", "p99"] as const) {
        const error = Math.abs(point.latency[q]! - exact[i][q]) / exact[i][q];
        expect(error, `${point.at} ${q}: ${point.latency[q]} vs ${exact[i][q]}`).toBeLessThan(0.05);
      }
    }
    const allKeys = await latencySeries(shared.db, { keyId: null, ...range, granularity: "hour" });
    expect(allKeys.length).toBeGreaterThan(48);

    await rebuild();
    expect(await latencySeries(shared.db, { keyId: "key_b", ...range, granularity: "day" })).toEqual(fromHistograms);
    expect(await latencySeries(shared.db, { keyId: null, ...range, granularity: "hour" })).toEqual(allKeys);
  });

  it("refuses a rebuild reaching before the raw retention period or an empty range, changing nothing", async () => {
    await recordAll(workload(200, 3), 1_000);
    const before = await snapshot();
    const now = new Date(DAY + 10 * 86_400_000);
    await expect(rebuildUsage(shared.db, { from: new Date(DAY), to: now, actor: { type: "cli", id: null }, rawRetentionDays: 7, now })).rejects.toMatchObject({
      code: "bad_request",
      message: "raw events are kept 7 days: --from must be on or after 2026-11-26T00:00:00.000Z",
    });
    await expect(rebuild(new Date(DAY), new Date(DAY))).rejects.toThrow(/--from must be before --to/);
    await expect(rebuild(new Date(Number.NaN))).rejects.toThrow(/--from must be an ISO 8601 date/);
    expect(await snapshot()).toEqual(before);
    expect(await rows("SELECT * FROM audit_logs")).toEqual([]);
  });
});

describe("requests refused without a lookup", () => {
  it("are counted but never stored or buffered one by one, and paths are cut to 512 characters", async () => {
    const usage = new UsageRecorder(shared.db);
    const longPath = `/api/v1/${"a".repeat(16 * 1024)}`;
    const at = new Date(DAY + 3_600_000);
    for (let i = 0; i < 20_000; i++) {
      usage.record({
        keyId: null,
        outcome: i % 2 ? "missing_key" : "rate_limited",
        method: "GET",
        path: `${longPath}${i}`,
        status: i % 2 ? 401 : 429,
        latencyMs: 0.2,
        ip: `198.51.100.${i % 250}`,
        at,
      });
    }
    // 20,000 requests with 16 KB paths would be over 600 MB if buffered; they are a few tallies.
    expect(usage.stats().buffered).toBe(0);
    expect(usage.bufferedBytes()).toBeLessThan(4_096);

    usage.record({ keyId: "key_a", outcome: "valid", method: "GET", path: longPath, status: 200, latencyMs: 1, ip: "192.0.2.1", at });
    expect(usage.bufferedBytes()).toBeLessThan(4_096);
    await usage.stop();

    expect(await rows("SELECT key_id, outcome, length(path) AS length FROM usage_events")).toEqual([{ key_id: "key_a", outcome: "valid", length: 512 }]);
    expect(await rows("SELECT outcome, requests, status_4xx FROM usage_hours ORDER BY outcome")).toEqual([
      { outcome: "missing_key", requests: 10_000, status_4xx: 10_000 },
      { outcome: "rate_limited", requests: 10_000, status_4xx: 10_000 },
      { outcome: "valid", requests: 1, status_4xx: 0 },
    ]);
    expect(await rows("SELECT key_id, outcome, count FROM usage_rollups ORDER BY outcome")).toEqual([
      { key_id: "", outcome: "missing_key", count: 10_000 },
      { key_id: "", outcome: "rate_limited", count: 10_000 },
      { key_id: "key_a", outcome: "valid", count: 1 },
    ]);
    expect(await rows("SELECT method, length(path) AS length FROM usage_path_hours")).toEqual([{ method: "GET", length: 512 }]);
    expect(await rows("SELECT * FROM usage_invalid_addresses")).toEqual([]);

    // A rebuild keeps the counts that have no raw rows.
    const before = await snapshot();
    await rebuild();
    expect(await snapshot()).toEqual(before);
  });

  it("keep a key hidden in a path out of storage even where the cut falls inside it", async () => {
    const usage = new UsageRecorder(shared.db);
    const key = `kh_live_${"A".repeat(38)}`;
    usage.record({
      keyId: "key_a",
      outcome: "valid",
      method: "GET",
      path: `/${"p".repeat(490)}/${key}`,
      status: 200,
      latencyMs: 1,
      ip: null,
      at: new Date(DAY),
    });
    await usage.stop();
    const [row] = await rows<{ path: string }>("SELECT path FROM usage_events");
    expect(row.path).toBe(`/${"p".repeat(490)}/kh_live_[redacted]`);
  });
});

describe("flush hooks", () => {
  it("run in the flush's transaction, and a hook that fails leaves nothing written and the batch buffered", async () => {
    const usage = new UsageRecorder(shared.db);
    const seen: { events: number; tallies: number; rawVisible: number }[] = [];
    let fail = true;
    usage.addFlushHook(async (tx, batch) => {
      const [{ n }] = await tx.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM usage_events`;
      seen.push({ events: batch.events.length, tallies: batch.tallies.length, rawVisible: Number(n) });
      if (fail) throw new Error("hook failed");
    });
    usage.record({ keyId: "key_a", outcome: "valid", method: "GET", path: "/x", status: 200, latencyMs: 1, ip: null, at: new Date(DAY) });
    usage.record({ keyId: null, outcome: "missing_key", method: "GET", path: "/x", status: 401, latencyMs: 1, ip: null, at: new Date(DAY) });

    await usage.flush();
    expect(seen).toEqual([{ events: 1, tallies: 1, rawVisible: 1 }]);
    expect(await rows("SELECT count(*)::int AS n FROM usage_events")).toEqual([{ n: 0 }]);
    expect(await rows("SELECT count(*)::int AS n FROM usage_hours")).toEqual([{ n: 0 }]);
    expect(usage.stats()).toMatchObject({ buffered: 1, written: 0, flushFailures: 1 });

    fail = false;
    await usage.stop();
    expect(seen.at(-1)).toEqual({ events: 1, tallies: 1, rawVisible: 1 });
    expect(await rows("SELECT outcome, requests FROM usage_hours ORDER BY outcome")).toEqual([
      { outcome: "missing_key", requests: 1 },
      { outcome: "valid", requests: 1 },
    ]);
  });
});

describe("what the usage page reads", () => {
  it("ranks paths over ranges cut inside days at both ends as the raw events of the hours they overlap do, after a rebuild too", async () => {
    await recordAll(workload(6_000, 4), 900);
    const hour = 3_600_000;
    // An hour cut by either end counts whole, as the hourly rows it was read from before.
    const counted = async (from: Date, to: Date, limit: number) =>
      rows(
        `SELECT method, path, sum(n)::int AS total, jsonb_object_agg(outcome, n) AS counts
         FROM (SELECT method, path, outcome, count(*)::int AS n FROM usage_events
               WHERE at >= date_trunc('hour', $1::timestamptz, 'UTC') AND date_trunc('hour', at, 'UTC') < $2::timestamptz
               GROUP BY 1, 2, 3) o
         GROUP BY 1, 2 ORDER BY total DESC, path, method LIMIT $3`,
        [from.toISOString(), to.toISOString(), limit],
      );
    const ranges = [
      // Cut days at both ends around a whole one.
      [DAY + 5.5 * hour, DAY + 2 * 86_400_000 + 7.25 * hour],
      // Across one midnight, no whole day: hours only.
      [DAY + 12.5 * hour, DAY + 86_400_000 + 6.25 * hour],
      // Whole days only, and beyond the traffic.
      [DAY - 86_400_000, DAY + 3 * 86_400_000],
      // Inside one hour.
      [DAY + 10 * hour + 1, DAY + 10.5 * hour],
    ].map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));
    const read = () => Promise.all(ranges.flatMap((range) => [10, 3].map((limit) => topPaths(shared.db, { ...range, limit }))));

    const answers = await read();
    expect(answers.map((answer) => answer.length)).toEqual([6, 3, 6, 3, 6, 3, 6, 3]);
    expect(answers).toEqual(await Promise.all(ranges.flatMap((range) => [10, 3].map((limit) => counted(range.from, range.to, limit)))));
    await rebuild();
    expect(await read()).toEqual(answers);
  });
});

describe("what the key page and the API read", () => {
  it("lists a key's addresses of the last 30 UTC days, most recent first, at most 100", async () => {
    const now = new Date(DAY + 40 * 86_400_000 + 3_600_000);
    const usage = new UsageRecorder(shared.db);
    const use = (ip: string, daysAgo: number, outcome = "valid", keyId = "key_a") =>
      usage.record({ keyId, outcome, method: "GET", path: "/x", status: 200, latencyMs: 1, ip, at: new Date(now.getTime() - daysAgo * 86_400_000) });
    use("192.0.2.1", 0);
    use("192.0.2.1", 0, "rate_limited");
    use("192.0.2.1", 3);
    use("2001:db8::7", 0.01);
    use("192.0.2.2", 29);
    use("192.0.2.3", 31);
    use("192.0.2.9", 0, "valid", "key_b");
    for (let i = 0; i < 120; i++) use(`198.51.100.${i}`, 10 + i / 1_000);
    await usage.stop();

    const addresses = await keyAddresses(shared.db, "key_a", now);
    expect(addresses).toHaveLength(100);
    expect(addresses.slice(0, 2)).toEqual([
      { ip: "192.0.2.1", requests: 3, denied: 1, lastSeenAt: now.toISOString() },
      { ip: "2001:db8::7", requests: 1, denied: 0, lastSeenAt: new Date(now.getTime() - 864_000).toISOString() },
    ]);
    expect(addresses.map((a) => a.ip)).not.toContain("192.0.2.3");
    expect(addresses.map((a) => a.ip)).not.toContain("192.0.2.9");
    expect(addresses.at(-1)!.ip).toBe("198.51.100.97");
    expect(await keyAddresses(shared.db, "key_nobody", now)).toEqual([]);
  });

  it("picks and sums a key's addresses as grouping all of its rows does, ties at the 100th included", async () => {
    const now = new Date(DAY + 40 * 86_400_000 + 3_600_000);
    const next = random(5);
    const usage = new UsageRecorder(shared.db);
    // 260 addresses, each on a few of the last 36 days (some before the window, one a day ahead
    // of this instance's clock), at one of two times a day, so many addresses share their last
    // time; key_b uses some of the same addresses.
    const events: UsageEventInput[] = [];
    for (let i = 0; i < 260; i++) {
      const ip = i % 7 === 0 ? `2001:db8::${i.toString(16)}` : `10.0.${i >> 8}.${i & 255}`;
      for (let use = 0; use < 1 + Math.floor(next() * 6); use++) {
        const ahead = i === 13 && use === 0;
        const day = Math.floor(now.getTime() / 86_400_000) + (ahead ? 1 : -Math.floor(next() * 36));
        const at = new Date(day * 86_400_000 + Math.floor(next() * 2) * 12 * 3_600_000);
        const keyId = ahead || next() < 0.9 ? "key_a" : "key_b";
        events.push({ keyId, outcome: next() < 0.8 ? "valid" : "rate_limited", method: "GET", path: "/x", status: 200, latencyMs: 1, ip, at });
      }
    }
    events.forEach((event) => usage.record(event));
    await usage.stop();

    // The answer as it was computed before: every row of the window grouped by address.
    const grouped = async (keyId: string, limit: number) =>
      (
        await rows<{ ip: string; requests: number; denied: number; last: Date }>(
          `SELECT ip, sum(requests)::int AS requests, sum(denied)::int AS denied, max(last_seen_at) AS last
           FROM usage_key_addresses WHERE key_id = $1 AND day >= $2::timestamptz
           GROUP BY ip ORDER BY max(last_seen_at) DESC, ip LIMIT $3`,
          [keyId, new Date(now.getTime() - (now.getTime() % 86_400_000) - 29 * 86_400_000).toISOString(), limit],
        )
      ).map(({ last, ...address }) => ({ ...address, lastSeenAt: last.toISOString() }));
    const expected = await grouped("key_a", 101);
    expect(expected).toHaveLength(101);
    expect(expected[99].lastSeenAt).toBe(expected[100].lastSeenAt);
    expect(expected[0].ip).toBe("10.0.0.13");
    expect(await keyAddresses(shared.db, "key_a", now)).toEqual(expected.slice(0, 100));

    const fewer = await grouped("key_b", 101);
    expect(fewer.length).toBeGreaterThan(0);
    expect(fewer.length).toBeLessThan(100);
    expect(await keyAddresses(shared.db, "key_b", now)).toEqual(fewer);
  });

  it("finds the 100th address among the last rows its walk may read, by ip among equal times", async () => {
    // 99 addresses on each of the 30 days, then 40 seen once, at one instant on the first day:
    // 2,970 rows come before those 40, and the walk reads 100 x 30.
    const now = new Date(DAY + 40 * 86_400_000 + 3_600_000);
    const first = now.getTime() - (now.getTime() % 86_400_000) - 29 * 86_400_000;
    const usage = new UsageRecorder(shared.db);
    const use = (ip: string, at: number) =>
      usage.record({ keyId: "key_a", outcome: "valid", method: "GET", path: "/x", status: 200, latencyMs: 1, ip, at: new Date(at) });
    for (let day = 0; day < 30; day++) for (let i = 0; i < 99; i++) use(`10.1.0.${i}`, first + day * 86_400_000 + 12 * 3_600_000);
    for (let i = 0; i < 40; i++) use(`10.2.0.${i}`, first + 6 * 3_600_000);
    await usage.stop();

    const addresses = await keyAddresses(shared.db, "key_a", now);
    expect(addresses).toHaveLength(100);
    expect(addresses[0]).toEqual({ ip: "10.1.0.0", requests: 30, denied: 0, lastSeenAt: new Date(first + 29 * 86_400_000 + 12 * 3_600_000).toISOString() });
    expect(addresses[99]).toEqual({ ip: "10.2.0.0", requests: 1, denied: 0, lastSeenAt: new Date(first + 6 * 3_600_000).toISOString() });
  });

  it("adds p50, p95 and p99 to each bucket of a key's series only when asked", async () => {
    const usage = new UsageRecorder(shared.db);
    for (let i = 1; i <= 100; i++) {
      usage.record({ keyId: "key_a", outcome: "valid", method: "GET", path: "/x", status: 200, latencyMs: i, ip: null, at: new Date(DAY + i * 1_000) });
    }
    usage.record({ keyId: "key_a", outcome: "valid", method: "GET", path: "/x", status: 200, latencyMs: 1_000, ip: null, at: new Date(DAY + 7_200_000) });
    await usage.stop();
    const query = { keyId: "key_a", from: new Date(DAY), to: new Date(DAY + 86_400_000), granularity: "hour" } as const;

    expect(await keyUsageWithLatency(shared.db, query, false)).toEqual([
      { at: "2026-11-23T00:00:00.000Z", counts: { valid: 100 } },
      { at: "2026-11-23T02:00:00.000Z", counts: { valid: 1 } },
    ]);
    const [first, second] = await keyUsageWithLatency(shared.db, query, true);
    expect(first.counts).toEqual({ valid: 100 });
    for (const [q, exact] of [
      ["p50", 50],
      ["p95", 95],
      ["p99", 99],
    ] as const) {
      expect(Math.abs(first.latency![q]! - exact) / exact).toBeLessThan(0.05);
    }
    expect(Math.abs(second.latency!.p50! - 1_000) / 1_000).toBeLessThan(0.05);
  });
});
