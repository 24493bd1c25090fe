import pg from "pg";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { type Db } from "../../lib/db/client";
import { pruneUsageEvents, startUsagePruner } from "../../lib/usage/prune-usage";
import { UsageQueryError, usageSeries, type Granularity } from "../../lib/usage/query-usage";
import { invalidAttemptsByIp, recentEvents, topKeys, topPaths } from "../../lib/usage/usage-summary";
import { databaseForThisFile } from "../helpers/migrated-database";

// Usage charts read the per-minute rollups only, bucketed in UTC over [from, to); pruning
// removes old raw events in short batches and leaves the rollups, so charts outlive the events.

const shared = databaseForThisFile("keyhold_usage_query", { timezone: "Pacific/Chatham" });

beforeEach(async () => {
  await shared.admin.query("TRUNCATE usage_events, usage_rollups, api_keys RESTART IDENTITY CASCADE");
});

type Row = { keyId?: string | null; outcome?: string; at: string; method?: string; path?: string; ip?: string | null };

async function insertEvents(rows: Row[]): Promise<void> {
  await shared.admin.query(
    `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
     SELECT k, o, m, p, 200, 1.5, i, a
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[]) AS u(k, o, m, p, i, a)`,
    [
      rows.map((row) => (row.keyId === undefined ? "key_a" : row.keyId)),
      rows.map((row) => row.outcome ?? "valid"),
      rows.map((row) => row.method ?? "GET"),
      rows.map((row) => row.path ?? "/api/v1/things"),
      rows.map((row) => (row.ip === undefined ? "10.0.0.1" : row.ip)),
      rows.map((row) => row.at),
    ],
  );
}

// Rollups as the recorder writes them, derived from whatever raw events the test inserted.
async function rollUp(): Promise<void> {
  await shared.admin.query(
    `INSERT INTO usage_rollups (key_id, minute, outcome, count)
     SELECT coalesce(key_id, ''), date_trunc('minute', at), outcome, count(*)
     FROM usage_events GROUP BY 1, 2, 3
     ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = usage_rollups.count + EXCLUDED.count`,
  );
}

async function seed(rows: Row[]): Promise<void> {
  await insertEvents(rows);
  await rollUp();
}

async function count(sql: string): Promise<number> {
  const { rows } = await shared.admin.query<{ n: number }>(sql);
  return rows[0].n;
}

const t = (iso: string) => new Date(iso);

function series(granularity: Granularity, from: string, to: string, keyId: string | null = "key_a") {
  return usageSeries(shared.db, { keyId, from: t(from), to: t(to), granularity });
}

describe("usageSeries", () => {
  it("counts per minute per outcome across minute boundaries", async () => {
    await seed([
      { at: "2026-11-23T12:00:00.000Z" },
      { at: "2026-11-23T12:00:59.999Z" },
      { at: "2026-11-23T12:00:30.000Z", outcome: "rate_limited" },
      { at: "2026-11-23T12:01:00.000Z" },
      { at: "2026-11-23T12:03:10.000Z", outcome: "revoked_key" },
      { at: "2026-11-23T12:03:11.000Z", outcome: "revoked_key" },
    ]);

    expect(await series("minute", "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z")).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 2, rate_limited: 1 } },
      { at: "2026-11-23T12:01:00.000Z", counts: { valid: 1 } },
      { at: "2026-11-23T12:03:00.000Z", counts: { revoked_key: 2 } },
    ]);
  });

  it("counts per hour across hour boundaries in UTC", async () => {
    await seed([
      { at: "2026-11-23T11:59:59.999Z" },
      { at: "2026-11-23T12:00:00.000Z" },
      { at: "2026-11-23T12:30:00.000Z", outcome: "expired_key" },
      { at: "2026-11-23T12:59:59.999Z" },
      { at: "2026-11-23T13:00:00.000Z", outcome: "rate_limited" },
      { at: "2026-11-23T15:45:00.000Z" },
    ]);

    expect(await series("hour", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")).toEqual([
      { at: "2026-11-23T11:00:00.000Z", counts: { valid: 1 } },
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 2, expired_key: 1 } },
      { at: "2026-11-23T13:00:00.000Z", counts: { rate_limited: 1 } },
      { at: "2026-11-23T15:00:00.000Z", counts: { valid: 1 } },
    ]);
  });

  it("counts per day across midnight UTC, whatever the database's time zone", async () => {
    await seed([
      { at: "2026-11-22T23:59:59.999Z" },
      { at: "2026-11-23T00:00:00.000Z" },
      // Already the 24th in Pacific/Chatham (UTC+13:45), still the 23rd in UTC.
      { at: "2026-11-23T10:30:00.000Z", outcome: "quota_exceeded" },
      { at: "2026-11-23T23:59:59.999Z" },
      { at: "2026-11-24T00:00:00.000Z" },
    ]);

    expect(await series("day", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z")).toEqual([
      { at: "2026-11-22T00:00:00.000Z", counts: { valid: 1 } },
      { at: "2026-11-23T00:00:00.000Z", counts: { valid: 2, quota_exceeded: 1 } },
      { at: "2026-11-24T00:00:00.000Z", counts: { valid: 1 } },
    ]);
  });

  it("includes from and excludes to", async () => {
    await seed([
      { at: "2026-11-23T11:59:59.999Z" },
      { at: "2026-11-23T12:00:00.000Z" },
      { at: "2026-11-23T12:09:59.999Z" },
      { at: "2026-11-23T12:10:00.000Z" },
    ]);

    expect(await series("minute", "2026-11-23T12:00:00Z", "2026-11-23T12:10:00Z")).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 1 } },
      { at: "2026-11-23T12:09:00.000Z", counts: { valid: 1 } },
    ]);
    expect(await series("hour", "2026-11-23T12:00:00Z", "2026-11-23T12:10:00Z")).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 2 } },
    ]);
    expect(await series("minute", "2026-11-23T12:10:00Z", "2026-11-23T12:10:01Z")).toEqual([
      { at: "2026-11-23T12:10:00.000Z", counts: { valid: 1 } },
    ]);
  });

  it("filters by key; null means every key, unknown ones included", async () => {
    await seed([
      { keyId: "key_a", at: "2026-11-23T12:00:05Z" },
      { keyId: "key_b", at: "2026-11-23T12:00:06Z", outcome: "rate_limited" },
      { keyId: "key_b", at: "2026-11-23T12:01:06Z" },
      { keyId: null, at: "2026-11-23T12:00:07Z", outcome: "invalid_key" },
    ]);
    const from = "2026-11-23T12:00:00Z";
    const to = "2026-11-23T13:00:00Z";

    expect(await series("minute", from, to, "key_a")).toEqual([{ at: "2026-11-23T12:00:00.000Z", counts: { valid: 1 } }]);
    expect(await series("minute", from, to, "key_b")).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { rate_limited: 1 } },
      { at: "2026-11-23T12:01:00.000Z", counts: { valid: 1 } },
    ]);
    expect(await series("hour", from, to, null)).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 2, rate_limited: 1, invalid_key: 1 } },
    ]);
    expect(await series("minute", from, to, "key_nobody")).toEqual([]);
  });

  it("returns [] for a range without events", async () => {
    await seed([{ at: "2026-11-23T12:00:00Z" }]);
    expect(await series("minute", "2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z")).toEqual([]);
    expect(await series("day", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", null)).toEqual([]);
  });

  it("leaves out outcomes whose rollup count is zero", async () => {
    await seed([{ at: "2026-11-23T12:00:00Z" }]);
    await shared.admin.query(`INSERT INTO usage_rollups (key_id, minute, outcome, count) VALUES ('key_a', '2026-11-23T12:00:00Z', 'revoked_key', 0), ('key_a', '2026-11-23T12:05:00Z', 'valid', 0)`);
    expect(await series("minute", "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z")).toEqual([
      { at: "2026-11-23T12:00:00.000Z", counts: { valid: 1 } },
    ]);
  });

  it("is computed from the rollups, not the raw events", async () => {
    await seed([
      { at: "2026-11-23T12:00:01Z" },
      { at: "2026-11-23T12:00:02Z", outcome: "rate_limited" },
      { at: "2026-11-23T14:10:00Z" },
    ]);
    const before = await series("minute", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z");
    expect(before).toHaveLength(2);

    await shared.admin.query("DELETE FROM usage_events");

    expect(await series("minute", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")).toEqual(before);
  });

  it("refuses bad arguments with a UsageQueryError", async () => {
    const from = t("2026-11-23T12:00:00Z");
    await expect(usageSeries(shared.db, { keyId: null, from, to: from, granularity: "minute" })).rejects.toThrow(/from must be before to/);
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2026-11-23T11:00:00Z"), granularity: "minute" })).rejects.toThrow(UsageQueryError);
    await expect(usageSeries(shared.db, { keyId: null, from: new Date(Number.NaN), to: from, granularity: "minute" })).rejects.toThrow(/from must be a valid date/);
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2026-11-24T00:00:00Z"), granularity: "week" as Granularity })).rejects.toThrow(/granularity/);
    await expect(usageSeries(shared.db, { keyId: "", from, to: t("2026-11-24T00:00:00Z"), granularity: "minute" })).rejects.toThrow(/keyId/);
    // A year by the minute is more buckets than one answer may hold; by the day it is fine.
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2027-11-23T12:00:00Z"), granularity: "minute" })).rejects.toThrow(/buckets/);
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2027-11-23T12:00:00Z"), granularity: "day" })).resolves.toEqual([]);
  });
});

describe("dashboard summaries", () => {
  const now = t("2026-11-23T18:00:00Z");

  it("ranks keys by requests with an outcome split, from the rollups", async () => {
    await shared.admin.query(
      `INSERT INTO api_keys (id, name, start, hash, environment, scopes, meta, updated_at)
       VALUES ('key_b', 'Billing', 'kh_live_abcd', 'hash_b', 'live', '{}', '{}', now())`,
    );
    await seed([
      { keyId: "key_a", at: "2026-11-23T12:00:00Z" },
      { keyId: "key_b", at: "2026-11-23T12:00:00Z" },
      { keyId: "key_b", at: "2026-11-23T12:01:00Z", outcome: "rate_limited" },
      { keyId: "key_b", at: "2026-11-23T12:02:00Z" },
      { keyId: "key_c", at: "2026-11-23T12:00:00Z" },
      { keyId: "key_c", at: "2026-11-23T12:00:01Z" },
      { keyId: null, at: "2026-11-23T12:00:00Z", outcome: "invalid_key" },
      { keyId: "key_a", at: "2026-11-23T13:00:00Z" },
    ]);
    await shared.admin.query("DELETE FROM usage_events");

    const range = { from: t("2026-11-23T12:00:00Z"), to: t("2026-11-23T13:00:00Z") };
    expect(await topKeys(shared.db, { ...range, limit: 10 })).toEqual([
      { keyId: "key_b", name: "Billing", start: "kh_live_abcd", total: 3, counts: { rate_limited: 1, valid: 2 } },
      { keyId: "key_c", name: null, start: null, total: 2, counts: { valid: 2 } },
      { keyId: "key_a", name: null, start: null, total: 1, counts: { valid: 1 } },
    ]);
    expect((await topKeys(shared.db, { ...range, limit: 1 })).map((row) => row.keyId)).toEqual(["key_b"]);
    await expect(topKeys(shared.db, { ...range, limit: 0 })).rejects.toThrow(/limit must be a whole number from 1 to 1000/);
    await expect(topKeys(shared.db, { ...range, limit: 1001 })).rejects.toThrow(UsageQueryError);
  });

  it("ranks paths from raw events, only within the retention window", async () => {
    await seed([
      { at: "2026-11-23T12:00:00Z", path: "/api/v1/orders" },
      { at: "2026-11-23T12:00:01Z", path: "/api/v1/orders", outcome: "rate_limited" },
      { at: "2026-11-23T12:00:02Z", path: "/api/v1/orders", method: "POST" },
      { at: "2026-11-23T12:00:03Z", path: "/api/v1/me", keyId: "key_b" },
      // Older than one day of retention: gone whether or not the pruner has run yet.
      { at: "2026-11-22T17:59:59Z", path: "/api/v1/old" },
    ]);
    const range = { from: t("2026-11-01T00:00:00Z"), to: now, now };

    expect(await topPaths(shared.db, { ...range, limit: 10, retentionDays: 1 })).toEqual([
      { method: "GET", path: "/api/v1/orders", total: 2, counts: { rate_limited: 1, valid: 1 } },
      { method: "GET", path: "/api/v1/me", total: 1, counts: { valid: 1 } },
      { method: "POST", path: "/api/v1/orders", total: 1, counts: { valid: 1 } },
    ]);
    expect((await topPaths(shared.db, { ...range, limit: 10, retentionDays: 2 })).map((row) => row.path)).toContain("/api/v1/old");
    expect(await topPaths(shared.db, { ...range, limit: 10, retentionDays: 1, keyId: "key_b" })).toEqual([
      { method: "GET", path: "/api/v1/me", total: 1, counts: { valid: 1 } },
    ]);
    // Entirely before the retention window.
    expect(await topPaths(shared.db, { from: t("2026-11-01T00:00:00Z"), to: t("2026-11-02T00:00:00Z"), now, limit: 10, retentionDays: 1 })).toEqual([]);
  });

  it("groups invalid-key attempts by client address", async () => {
    await seed([
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.1", at: "2026-11-23T12:00:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.1", at: "2026-11-23T12:05:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.2", at: "2026-11-23T12:01:00Z" },
      { keyId: "key_a", outcome: "revoked_key", ip: "192.0.2.3", at: "2026-11-23T12:01:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.2", at: "2026-11-23T13:00:00Z" },
    ]);

    expect(await invalidAttemptsByIp(shared.db, { from: t("2026-11-23T12:00:00Z"), to: t("2026-11-23T13:00:00Z"), now, limit: 10, retentionDays: 30 })).toEqual([
      { ip: "192.0.2.1", count: 2, firstAt: "2026-11-23T12:00:00.000Z", lastAt: "2026-11-23T12:05:00.000Z" },
      { ip: "192.0.2.2", count: 1, firstAt: "2026-11-23T12:01:00.000Z", lastAt: "2026-11-23T12:01:00.000Z" },
    ]);
  });

  it("lists recent events newest first, by key and outcome", async () => {
    await seed([
      { keyId: "key_a", at: "2026-11-23T12:00:00Z" },
      { keyId: "key_a", at: "2026-11-23T12:00:02Z", outcome: "rate_limited" },
      { keyId: "key_b", at: "2026-11-23T12:00:01Z" },
      { keyId: null, at: "2026-11-23T12:00:03Z", outcome: "invalid_key" },
    ]);

    const all = await recentEvents(shared.db, { limit: 10 });
    expect(all.map((event) => event.at)).toEqual([
      "2026-11-23T12:00:03.000Z",
      "2026-11-23T12:00:02.000Z",
      "2026-11-23T12:00:01.000Z",
      "2026-11-23T12:00:00.000Z",
    ]);
    expect(all[0]).toEqual({
      id: expect.stringMatching(/^\d+$/),
      keyId: null,
      outcome: "invalid_key",
      method: "GET",
      path: "/api/v1/things",
      status: 200,
      latencyMs: 1.5,
      ip: "10.0.0.1",
      at: "2026-11-23T12:00:03.000Z",
    });
    expect((await recentEvents(shared.db, { keyId: "key_a", limit: 10 })).map((event) => event.outcome)).toEqual(["rate_limited", "valid"]);
    expect((await recentEvents(shared.db, { keyId: null, limit: 10 })).map((event) => event.outcome)).toEqual(["invalid_key"]);
    expect((await recentEvents(shared.db, { outcome: "valid", limit: 10 })).map((event) => event.keyId)).toEqual(["key_b", "key_a"]);
    expect((await recentEvents(shared.db, { outcome: ["rate_limited", "invalid_key"], limit: 10 })).map((event) => event.outcome)).toEqual([
      "invalid_key",
      "rate_limited",
    ]);
    expect(await recentEvents(shared.db, { limit: 2 })).toHaveLength(2);
    await expect(recentEvents(shared.db, { limit: 0 })).rejects.toThrow(UsageQueryError);
  });

  it("orders events of the same millisecond by id as a number", async () => {
    // Ids 1..12 cross from one digit to two, where text order and numeric order differ.
    await seed(Array.from({ length: 12 }, () => ({ at: "2026-11-23T12:00:00Z" })));
    expect((await recentEvents(shared.db, { limit: 12 })).map((event) => event.id)).toEqual(
      Array.from({ length: 12 }, (_, i) => String(12 - i)),
    );
  });
});

describe("pruneUsageEvents", () => {
  const cutoff = t("2026-11-23T12:00:00Z");

  it("deletes only events older than the cutoff, in batches, and keeps the rollups", async () => {
    const old = Array.from({ length: 23 }, (_, i) => ({ at: new Date(cutoff.getTime() - 1 - i * 61_000).toISOString(), outcome: i % 3 ? "valid" : "rate_limited" }));
    const kept = [{ at: cutoff.toISOString() }, { at: "2026-11-23T12:00:00.001Z" }, { at: "2026-11-24T00:00:00Z" }];
    await seed([...old, ...kept]);
    const range = ["minute", "2026-11-22T00:00:00Z", "2026-11-25T00:00:00Z"] as const;
    const before = await series(...range);
    const rollups = await count("SELECT count(*)::int AS n FROM usage_rollups");

    const executeRaw = vi.spyOn(shared.db, "$executeRaw");
    try {
      expect(await pruneUsageEvents(shared.db, { olderThan: cutoff, batchSize: 5 })).toBe(23);
      // 5 full batches, then the one that finds 3 and stops.
      expect(executeRaw).toHaveBeenCalledTimes(5);
    } finally {
      executeRaw.mockRestore();
    }

    const { rows } = await shared.admin.query<{ at: Date }>("SELECT at FROM usage_events ORDER BY at");
    expect(rows.map((row) => row.at.toISOString())).toEqual(kept.map((row) => new Date(row.at).toISOString()));
    expect(await count("SELECT count(*)::int AS n FROM usage_rollups")).toBe(rollups);
    expect(await series(...range)).toEqual(before);
    expect(await pruneUsageEvents(shared.db, { olderThan: cutoff, batchSize: 5 })).toBe(0);
  });

  it("stops between batches when aborted", async () => {
    await seed(Array.from({ length: 10 }, (_, i) => ({ at: new Date(cutoff.getTime() - 1_000 - i).toISOString() })));
    const controller = new AbortController();
    const original = shared.db.$executeRaw.bind(shared.db);
    const executeRaw = vi.spyOn(shared.db, "$executeRaw").mockImplementationOnce((...args: Parameters<Db["$executeRaw"]>) => {
      controller.abort();
      return original(...args);
    });
    try {
      expect(await pruneUsageEvents(shared.db, { olderThan: cutoff, batchSize: 3, signal: controller.signal })).toBe(3);
      expect(executeRaw).toHaveBeenCalledTimes(1);
    } finally {
      executeRaw.mockRestore();
    }
    expect(await count("SELECT count(*)::int AS n FROM usage_events")).toBe(7);
  });

  it("completes while another connection inserts, and loses none of the new events", async () => {
    await shared.admin.query(
      `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
       SELECT 'key_a', 'valid', 'GET', '/old', 200, 1, '10.0.0.1', $1::timestamptz - g * interval '1 second'
       FROM generate_series(1, 20000) AS g`,
      [cutoff],
    );
    const writer = new pg.Client({ connectionString: shared.database.url });
    await writer.connect();
    const executeRaw = vi.spyOn(shared.db, "$executeRaw");
    let inserted = 0;
    let insertedDuringPrune = 0;
    let pruning = true;
    try {
      const inserting = (async () => {
        // Single-row inserts: many small statements, as several busy recorders would make.
        while (pruning) {
          await writer.query(
            `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
             VALUES ('key_b', 'valid', 'GET', '/new', 200, 1, '10.0.0.2', $1)`,
            [new Date(cutoff.getTime() + inserted)],
          );
          inserted++;
          if (pruning && executeRaw.mock.calls.length > 0) insertedDuringPrune++;
        }
      })();
      let deleted: number;
      try {
        await vi.waitFor(() => expect(inserted).toBeGreaterThan(0));
        deleted = await pruneUsageEvents(shared.db, { olderThan: cutoff, batchSize: 500 });
      } finally {
        pruning = false;
        await inserting;
      }
      expect(deleted).toBe(20_000);
      // 40 full batches and the empty one that ends the loop.
      expect(executeRaw).toHaveBeenCalledTimes(41);
      expect(insertedDuringPrune).toBeGreaterThan(0);
    } finally {
      executeRaw.mockRestore();
      await writer.end();
    }

    expect(await count("SELECT count(*)::int AS n FROM usage_events WHERE path = '/old'")).toBe(0);
    expect(await count("SELECT count(*)::int AS n FROM usage_events WHERE path = '/new'")).toBe(inserted);
    expect(await count("SELECT count(DISTINCT at)::int AS n FROM usage_events WHERE path = '/new'")).toBe(inserted);
  });

  it("refuses a bad cutoff or batch size", async () => {
    await expect(pruneUsageEvents(shared.db, { olderThan: new Date(Number.NaN) })).rejects.toThrow(/olderThan/);
    await expect(pruneUsageEvents(shared.db, { olderThan: cutoff, batchSize: 0 })).rejects.toThrow(/batchSize/);
  });
});

describe("startUsagePruner", () => {
  it("prunes shortly after start with the retention period measured from now", async () => {
    const now = t("2026-11-23T12:00:00Z").getTime();
    await seed([
      { at: "2026-10-24T11:59:59.999Z" },
      { at: "2026-10-24T12:00:00.000Z" },
      { at: "2026-11-23T11:00:00.000Z" },
    ]);
    const pruner = startUsagePruner({ db: shared.db, retentionDays: 30, firstRunDelayMs: 0, now: () => now });
    try {
      await vi.waitFor(async () => expect(await count("SELECT count(*)::int AS n FROM usage_events")).toBe(2), { timeout: 5_000, interval: 20 });
      expect(await pruner.runNow()).toBe(0);
    } finally {
      await pruner.stop();
    }
    expect(await pruner.runNow()).toBe(0);
  });

  it("never overlaps runs, and a failure logs one line without the error's details", async () => {
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const release: (() => void)[] = [];
    // Fails every run; the first one only after a while, to see whether the timer starts another meanwhile.
    const fake = {
      $executeRaw: () => {
        calls++;
        active++;
        maxActive = Math.max(maxActive, active);
        return new Promise<number>((_, reject) => {
          release.push(() => {
            active--;
            reject(new Error("connect ECONNREFUSED postgres://admin:s3cret@db.internal:5432"));
          });
        });
      },
    } as unknown as Db;
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const pruner = startUsagePruner({ db: fake, retentionDays: 30, firstRunDelayMs: 0, intervalMs: 5 });
    try {
      await vi.waitFor(() => expect(calls).toBe(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls).toBe(1);
      release.shift()!();
      await vi.waitFor(() => expect(calls).toBe(2));
      release.shift()!();
      await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(2));
      expect(maxActive).toBe(1);
      for (const [line, ...rest] of errors.mock.calls) {
        expect(rest).toEqual([]);
        expect(line).toMatch(/^usage: pruning events older than 30 days failed \(Error\); retrying in 1 s$/);
        expect(String(line)).not.toMatch(/s3cret|internal|ECONNREFUSED/);
      }
    } finally {
      const stopping = pruner.stop();
      for (const next of release) next();
      await stopping;
      errors.mockRestore();
    }
  });

  it("does not keep the process alive", async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const pruner = startUsagePruner({ db: shared.db, retentionDays: 30 });
    try {
      expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
      const timer = setTimeoutSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      setTimeoutSpy.mockRestore();
      await pruner.stop();
    }
  });
});
