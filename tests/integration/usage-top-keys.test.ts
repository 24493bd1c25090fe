import { beforeEach, describe, expect, it } from "vitest";

import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { topKeys } from "../../lib/usage/usage-summary";
import { databaseForThisFile } from "../helpers/migrated-database";

// The usage page's top keys with many keys: the ranking shortlists each day's busiest keys and
// must still name exactly the keys a full count of the raw events names, in the same order,
// whether the shortlist settles it (skewed traffic) or not (a steady key that tops no day).

const file = databaseForThisFile("keyhold_usage_top_keys", { timezone: "Pacific/Chatham" });

const t = (iso: string) => new Date(iso);

beforeEach(async () => {
  await file.admin.query(
    `TRUNCATE usage_events, usage_rollups, usage_hours, usage_key_hours, usage_key_days, usage_path_hours, usage_path_days, usage_key_addresses, usage_invalid_addresses`,
  );
});

/** `count` events of `keyId` spread over the hour starting at `hour`, every tenth rate limited. */
async function events(keyIds: string[], counts: number[], hours: string[]): Promise<void> {
  await file.admin.query(
    `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
     SELECT k, CASE WHEN i % 10 = 0 THEN 'rate_limited' ELSE 'valid' END, 'GET', '/api/v1/things', 200, 1.5, '10.0.0.1',
            h + (i % 3600) * interval '1 second'
     FROM unnest($1::text[], $2::int[], $3::timestamptz[]) AS u(k, n, h), generate_series(1, n) AS i`,
    [keyIds, counts, hours],
  );
}

async function rebuild(): Promise<void> {
  await rebuildUsage(file.db, { from: t("2026-11-01T00:00:00Z"), to: t("2026-12-01T00:00:00Z"), actor: { type: "cli", id: null }, rawRetentionDays: 400 });
}

/** The top keys by a full count of the raw events in the hours overlapping the range. */
async function counted(from: string, to: string, limit: number): Promise<{ keyId: string; total: number }[]> {
  const { rows } = await file.admin.query<{ key_id: string; total: string }>(
    `SELECT key_id, count(*) AS total FROM usage_events
     WHERE at >= date_trunc('hour', $1::timestamptz, 'UTC') AND at < $2::timestamptz AND key_id IS NOT NULL
     GROUP BY key_id ORDER BY count(*) DESC, key_id LIMIT $3`,
    [from, to, limit],
  );
  return rows.map((row) => ({ keyId: row.key_id, total: Number(row.total) }));
}

async function ranked(from: string, to: string, limit: number) {
  return (await topKeys(file.db, { from: t(from), to: t(to), limit })).map(({ keyId, total }) => ({ keyId, total }));
}

describe("topKeys with many keys", () => {
  it("names the busiest keys of skewed traffic exactly, over whole days, cut days and a single hour", async () => {
    // 400 keys a day for three days, key n making about 3,000/n requests in each of four hours.
    const keys = Array.from({ length: 400 }, (_, i) => `key_${String(i + 1).padStart(4, "0")}`);
    for (const day of ["2026-11-20", "2026-11-21", "2026-11-22"]) {
      for (const hour of ["03", "09", "15", "21"]) {
        await events(
          keys,
          keys.map((_, i) => Math.max(1, Math.floor(750 / (i + 1)))),
          keys.map(() => `${day}T${hour}:00:00Z`),
        );
      }
    }
    await rebuild();

    for (const [from, to, limit] of [
      ["2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 10],
      ["2026-11-20T10:30:00Z", "2026-11-22T16:00:00Z", 10],
      ["2026-11-21T09:00:00Z", "2026-11-21T10:00:00Z", 5],
      ["2026-11-19T00:00:00Z", "2026-11-30T00:00:00Z", 100],
    ] as const) {
      const expected = await counted(from, to, limit);
      expect(expected).toHaveLength(limit);
      expect(await ranked(from, to, limit)).toEqual(expected);
    }
  });

  it("ranks first a steady key that is on no day's list of busiest keys", async () => {
    // Each day 60 different keys make 70 requests each; one key makes 65 every day, never
    // among the day's busiest 50, and the most over the three days.
    for (const [d, day] of ["2026-11-20", "2026-11-21", "2026-11-22"].entries()) {
      const spiky = Array.from({ length: 60 }, (_, i) => `key_spiky_${d}_${String(i).padStart(2, "0")}`);
      await events(
        [...spiky, "key_steady"],
        [...spiky.map(() => 70), 65],
        [...spiky, "key_steady"].map(() => `${day}T12:00:00Z`),
      );
    }
    await rebuild();

    const top = await ranked("2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 10);
    expect(top[0]).toEqual({ keyId: "key_steady", total: 195 });
    expect(top).toEqual(await counted("2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 10));
  });

  it("names the busiest keys exactly when more keys than a day's short list are alike at the cut", async () => {
    // Three busy keys, then 120 making 100 requests each, as a fleet polling on a timer would:
    // the tenth place is one of the 120, and the day's 50 busiest cannot rule the others out.
    const fleet = Array.from({ length: 120 }, (_, i) => `key_fleet_${String(i).padStart(3, "0")}`);
    const keys = ["key_busy_1", "key_busy_2", "key_busy_3", ...fleet];
    await events(
      keys,
      [1_000, 900, 800, ...fleet.map(() => 100)],
      keys.map(() => "2026-11-20T12:00:00Z"),
    );
    await rebuild();

    for (const [from, to] of [
      ["2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z"],
      ["2026-11-19T18:30:00Z", "2026-11-20T13:00:00Z"],
    ] as const) {
      const expected = await counted(from, to, 10);
      expect(expected.slice(3).map((key) => key.keyId)).toEqual(fleet.slice(0, 7));
      expect(await ranked(from, to, 10)).toEqual(expected);
    }
  });

  it("sums every key when even the long lists end among keys alike", async () => {
    const fleet = Array.from({ length: 1_100 }, (_, i) => `key_fleet_${String(i).padStart(4, "0")}`);
    await events(
      ["key_busy", ...fleet],
      [3, ...fleet.map(() => 2)],
      ["key_busy", ...fleet].map(() => "2026-11-20T12:00:00Z"),
    );
    await rebuild();

    const expected = await counted("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", 10);
    expect(expected.map((key) => key.keyId)).toEqual(["key_busy", ...fleet.slice(0, 9)]);
    expect(await ranked("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", 10)).toEqual(expected);
  });

  it("lists nothing for a range without requests", async () => {
    expect(await ranked("2026-11-20T00:00:00Z", "2026-11-23T00:00:00Z", 10)).toEqual([]);
  });
});
