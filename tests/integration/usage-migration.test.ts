import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { migrationsSubset } from "../helpers/migrations-subset";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database";

// Issue 11 item 4: an installation with usage in the previous layout (one raw table, per-minute
// rollups kept for good) keeps all its history through migration 20261202110000.

const PREVIOUS = ["20261123165840_init", "20261123170549_ratelimit_windows"];

let database: TestDatabase;
let client: pg.Client;
let db: Db;
let previous: ReturnType<typeof migrationsSubset> | undefined;

const DAY_MS = 86_400_000;
const today = Date.now() - (Date.now() % DAY_MS);
const iso = (ms: number) => new Date(ms).toISOString();
// Raw events from 3 and 20 days ago; rollups also hold a day 100 days ago whose raw events the
// previous pruner had already deleted.
const recent = today - 3 * DAY_MS + 10 * 3_600_000;
const older = today - 20 * DAY_MS + 5 * 3_600_000;
const pruned = today - 100 * DAY_MS + 7 * 3_600_000;

beforeAll(async () => {
  previous = migrationsSubset((name) => PREVIOUS.includes(name));
  database = await createTestDatabase("keyhold_usage_migration");
  await migrate(database.url, previous.dir);
  client = new pg.Client({ connectionString: database.url });
  await client.connect();

  const events: [string | null, string, string, number, number, string | null, number][] = [
    ["key_a", "valid", "/api/v1/orders", 200, 3.1, "192.0.2.1", recent],
    ["key_a", "valid", "/api/v1/orders", 500, 120.5, "192.0.2.1", recent + 1_000],
    ["key_a", "rate_limited", "/api/v1/orders", 429, 0.4, "192.0.2.2", recent + 61_000],
    ["key_b", "valid", `/api/v1/${"x".repeat(3_000)}`, 200, 7.7, "192.0.2.3", older],
    [null, "invalid_key", "/api/v1/me", 401, 0.9, "198.51.100.7", recent + 5_000],
    [null, "invalid_key", "/api/v1/me", 401, 0.8, "198.51.100.7", recent + 9_000],
    [null, "missing_key", "/api/v1/me", 401, 0.1, "198.51.100.8", recent + 2_000],
    [null, "rate_limited", "/api/v1/me", 429, 0.1, "198.51.100.7", recent + 20_000],
  ];
  await client.query(
    `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
     SELECT k, o, 'GET', p, s, l, i, to_timestamp(a / 1000.0)
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::real[], $6::text[], $7::float8[]) AS u(k, o, p, s, l, i, a)`,
    [0, 1, 2, 3, 4, 5, 6].map((column) => events.map((event) => event[column])),
  );
  // Rollups as the previous recorder wrote them, plus the pruned day's.
  await client.query(`INSERT INTO usage_rollups (key_id, minute, outcome, count)
    SELECT coalesce(key_id, ''), date_trunc('minute', at), outcome, count(*) FROM usage_events GROUP BY 1, 2, 3`);
  await client.query(
    `INSERT INTO usage_rollups (key_id, minute, outcome, count) VALUES ('key_a', $1, 'valid', 40), ('key_a', $2, 'valid', 2), ('', $1, 'missing_key', 7)`,
    [iso(pruned), iso(pruned + 60_000)],
  );

  await migrate(database.url);
  db = createDb(database.url);
});

afterAll(async () => {
  await db?.$disconnect();
  await client?.end();
  await database?.drop();
  previous?.remove();
});

async function rows<T extends pg.QueryResultRow = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
  return (await client.query<T>(sql, params)).rows;
}

describe("migration 20261202110000 on a database of the previous layout", () => {
  it("moves the raw events into day partitions, keeping ids, leaving out requests refused without a lookup", async () => {
    const moved = await rows<{ id: string; outcome: string; part: string; length: number }>(
      "SELECT id::text, outcome, tableoid::regclass::text AS part, length(path) AS length FROM usage_events ORDER BY id",
    );
    expect(moved.map((row) => [row.id, row.outcome])).toEqual([
      ["1", "valid"],
      ["2", "valid"],
      ["3", "rate_limited"],
      ["4", "valid"],
      ["5", "invalid_key"],
      ["6", "invalid_key"],
    ]);
    const day = (ms: number) => `usage_events_${iso(ms).slice(0, 10).replaceAll("-", "")}`;
    expect(moved.map((row) => row.part)).toEqual([day(recent), day(recent), day(recent), day(older), day(recent), day(recent)]);
    expect(moved[3].length).toBe(512);
    // The old sequence carries on.
    await client.query(`INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, at) VALUES ('key_a', 'valid', 'GET', '/', 200, 1, now())`);
    expect((await rows<{ id: string }>("SELECT max(id)::text AS id FROM usage_events"))[0].id).toBe("9");
    await client.query("DELETE FROM usage_events WHERE id = 9");
  });

  it("keeps every count of the rollups, the pruned days' too, in the hourly and daily tables", async () => {
    const total = async (sql: string) => Number((await rows<{ n: string }>(sql))[0].n);
    expect(await total("SELECT sum(requests) AS n FROM usage_hours")).toBe(8 + 49);
    expect(await total("SELECT sum(requests) AS n FROM usage_key_hours")).toBe(8 + 49);
    expect(await total("SELECT sum(credits) AS n FROM usage_key_days")).toBe(8 + 49);
    expect(
      await rows("SELECT key_id, outcome, requests, status_4xx, status_5xx, latency FROM usage_key_hours WHERE hour = $1 ORDER BY 1, 2", [
        iso(pruned - (pruned % 3_600_000)),
      ]),
    ).toEqual([
      { key_id: "", outcome: "missing_key", requests: 7, status_4xx: 0, status_5xx: 0, latency: null },
      { key_id: "key_a", outcome: "valid", requests: 42, status_4xx: 0, status_5xx: 0, latency: null },
    ]);
    expect(
      await rows("SELECT key_id, outcome, requests, status_4xx, status_5xx FROM usage_key_hours WHERE hour = $1 ORDER BY 1, 2", [
        iso(recent - (recent % 3_600_000)),
      ]),
    ).toEqual([
      { key_id: "", outcome: "invalid_key", requests: 2, status_4xx: 2, status_5xx: 0 },
      { key_id: "", outcome: "missing_key", requests: 1, status_4xx: 1, status_5xx: 0 },
      { key_id: "", outcome: "rate_limited", requests: 1, status_4xx: 1, status_5xx: 0 },
      { key_id: "key_a", outcome: "rate_limited", requests: 1, status_4xx: 1, status_5xx: 0 },
      { key_id: "key_a", outcome: "valid", requests: 2, status_4xx: 0, status_5xx: 1 },
    ]);
    expect(await rows("SELECT ip, attempts FROM usage_invalid_addresses")).toEqual([{ ip: "198.51.100.7", attempts: 2 }]);
    expect(await rows("SELECT key_id, ip, requests::int, denied::int FROM usage_key_addresses ORDER BY 1, 2")).toEqual([
      { key_id: "key_a", ip: "192.0.2.1", requests: 2, denied: 0 },
      { key_id: "key_a", ip: "192.0.2.2", requests: 1, denied: 1 },
      { key_id: "key_b", ip: "192.0.2.3", requests: 1, denied: 0 },
    ]);
    expect(await total("SELECT sum(requests) AS n FROM usage_path_hours")).toBe(6);
    // Migration 20261202170000 sums the path hours into days.
    expect(await rows("SELECT method, path, outcome, sum(requests)::int AS n FROM usage_path_days GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")).toEqual(
      await rows("SELECT method, path, outcome, sum(requests)::int AS n FROM usage_path_hours GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
    );
    expect(await total("SELECT count(DISTINCT day) AS n FROM usage_path_days")).toBe(2);
  });

  it("computes the latency histograms as the flush does: a rebuild of the raw days changes nothing", async () => {
    const snapshot = () => rows("SELECT key_id, hour, outcome, requests, status_4xx, status_5xx, latency::text FROM usage_key_hours ORDER BY 1, 2, 3");
    const before = await snapshot();
    await rebuildUsage(db, { from: new Date(older), to: new Date(today + DAY_MS), actor: { type: "cli", id: null }, rawRetentionDays: 30 });
    expect(await snapshot()).toEqual(before);
  });
});
