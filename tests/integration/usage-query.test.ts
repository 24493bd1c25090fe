import { beforeEach, describe, expect, it } from "vitest";

import { UsageQueryError, usageSeries, type Granularity } from "../../lib/usage/query-usage";
import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { invalidAttemptsByIp, recentEvents, topKeys, topPaths } from "../../lib/usage/usage-summary";
import { databaseForThisFile } from "../helpers/migrated-database";

// Usage charts and summaries read the derived tables only (DESIGN.md section 15.2), bucketed in
// UTC; the tests seed raw events and derive the tables from them with `usage rebuild`, as the
// flush would have written them.

// A zone far from UTC with a 45-minute offset: bucketing that used the session's zone instead of
// UTC would move every hour and day boundary.
const shared = databaseForThisFile("keyhold_usage_query", { timezone: "Pacific/Chatham" });

beforeEach(async () => {
  await shared.admin.query(
    `TRUNCATE usage_events, usage_rollups, usage_hours, usage_key_hours, usage_key_days, usage_path_hours, usage_path_days,
              usage_key_addresses, usage_invalid_addresses, api_keys RESTART IDENTITY CASCADE`,
  );
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

async function seed(rows: Row[]): Promise<void> {
  await insertEvents(rows);
  await rebuildUsage(shared.db, {
    from: t("2026-11-01T00:00:00Z"),
    to: t("2026-12-01T00:00:00Z"),
    actor: { type: "cli", id: null },
    rawRetentionDays: 400,
  });
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
    // Hours are the finest derived bucket for an hourly series: the hour 12:10 cuts counts whole.
    expect(await series("hour", "2026-11-23T12:00:00Z", "2026-11-23T12:10:00Z")).toEqual([{ at: "2026-11-23T12:00:00.000Z", counts: { valid: 3 } }]);
    expect(await series("minute", "2026-11-23T12:10:00Z", "2026-11-23T12:10:01Z")).toEqual([{ at: "2026-11-23T12:10:00.000Z", counts: { valid: 1 } }]);
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
    expect(await series("hour", from, to, null)).toEqual([{ at: "2026-11-23T12:00:00.000Z", counts: { valid: 2, rate_limited: 1, invalid_key: 1 } }]);
    expect(await series("minute", from, to, "key_nobody")).toEqual([]);
  });

  it("returns [] for a range without events", async () => {
    await seed([{ at: "2026-11-23T12:00:00Z" }]);
    expect(await series("minute", "2026-11-23T13:00:00Z", "2026-11-23T14:00:00Z")).toEqual([]);
    expect(await series("day", "2026-11-24T00:00:00Z", "2026-11-25T00:00:00Z", null)).toEqual([]);
  });

  it("leaves out outcomes whose rollup count is zero", async () => {
    await seed([{ at: "2026-11-23T12:00:00Z" }]);
    await shared.admin.query(
      `INSERT INTO usage_rollups (key_id, minute, outcome, count) VALUES ('key_a', '2026-11-23T12:00:00Z', 'revoked_key', 0), ('key_a', '2026-11-23T12:05:00Z', 'valid', 0)`,
    );
    expect(await series("minute", "2026-11-23T12:00:00Z", "2026-11-23T13:00:00Z")).toEqual([{ at: "2026-11-23T12:00:00.000Z", counts: { valid: 1 } }]);
  });

  it("is computed from the derived tables, not the raw events", async () => {
    await seed([{ at: "2026-11-23T12:00:01Z" }, { at: "2026-11-23T12:00:02Z", outcome: "rate_limited" }, { at: "2026-11-23T14:10:00Z" }]);
    const before = await Promise.all((["minute", "hour", "day"] as const).map((g) => series(g, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")));
    expect(before.map((points) => points.length)).toEqual([2, 2, 1]);
    const allKeys = await series("day", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", null);

    await shared.admin.query("DELETE FROM usage_events");

    expect(await Promise.all((["minute", "hour", "day"] as const).map((g) => series(g, "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z")))).toEqual(before);
    expect(await series("day", "2026-11-23T00:00:00Z", "2026-11-24T00:00:00Z", null)).toEqual(allKeys);
  });

  it("refuses bad arguments with a UsageQueryError", async () => {
    const from = t("2026-11-23T12:00:00Z");
    await expect(usageSeries(shared.db, { keyId: null, from, to: from, granularity: "minute" })).rejects.toThrow(/from must be before to/);
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2026-11-23T11:00:00Z"), granularity: "minute" })).rejects.toThrow(UsageQueryError);
    await expect(usageSeries(shared.db, { keyId: null, from: new Date(Number.NaN), to: from, granularity: "minute" })).rejects.toThrow(
      /from must be a valid date/,
    );
    await expect(usageSeries(shared.db, { keyId: null, from, to: t("2026-11-24T00:00:00Z"), granularity: "week" as Granularity })).rejects.toThrow(
      /granularity/,
    );
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

  it("ranks paths from the per-path hours", async () => {
    await seed([
      { at: "2026-11-23T12:00:00Z", path: "/api/v1/orders" },
      { at: "2026-11-23T12:00:01Z", path: "/api/v1/orders", outcome: "rate_limited" },
      { at: "2026-11-23T12:00:02Z", path: "/api/v1/orders", method: "POST" },
      { at: "2026-11-23T12:00:03Z", path: "/api/v1/me", keyId: "key_b" },
      { at: "2026-11-22T17:59:59Z", path: "/api/v1/old" },
    ]);
    await shared.admin.query("DELETE FROM usage_events");
    const range = { from: t("2026-11-23T00:00:00Z"), to: now };

    expect(await topPaths(shared.db, { ...range, limit: 10 })).toEqual([
      { method: "GET", path: "/api/v1/orders", total: 2, counts: { rate_limited: 1, valid: 1 } },
      { method: "GET", path: "/api/v1/me", total: 1, counts: { valid: 1 } },
      { method: "POST", path: "/api/v1/orders", total: 1, counts: { valid: 1 } },
    ]);
    expect((await topPaths(shared.db, { from: t("2026-11-01T00:00:00Z"), to: now, limit: 10 })).map((row) => row.path)).toContain("/api/v1/old");
    expect(await topPaths(shared.db, { from: t("2026-11-01T00:00:00Z"), to: t("2026-11-02T00:00:00Z"), limit: 10 })).toEqual([]);
  });

  it("groups invalid-key attempts by client address", async () => {
    await seed([
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.1", at: "2026-11-23T12:00:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.1", at: "2026-11-23T12:05:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.2", at: "2026-11-23T12:01:00Z" },
      { keyId: "key_a", outcome: "revoked_key", ip: "192.0.2.3", at: "2026-11-23T12:01:00Z" },
      { keyId: null, outcome: "invalid_key", ip: "192.0.2.2", at: "2026-11-23T13:00:00Z" },
    ]);

    await shared.admin.query("DELETE FROM usage_events");
    expect(await invalidAttemptsByIp(shared.db, { from: t("2026-11-23T12:00:00Z"), to: t("2026-11-23T13:00:00Z"), limit: 10 })).toEqual([
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
    expect((await recentEvents(shared.db, { limit: 12 })).map((event) => event.id)).toEqual(Array.from({ length: 12 }, (_, i) => String(12 - i)));
  });
});
