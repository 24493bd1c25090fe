import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { INT4_MAX } from "../../lib/db/int4";
import { migrate } from "../../lib/db/migrate";
import { keyAddresses } from "../../lib/usage/key-addresses";
import { usageSeries } from "../../lib/usage/query-usage";
import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { UsageRecorder } from "../../lib/usage/recorder";
import { topKeys } from "../../lib/usage/usage-summary";
import { webhookFlushHook } from "../../lib/webhooks/usage-flush-hook";
import { migrationsSubset } from "../helpers/migrations-subset";
import { insertKeyRow, queryRows } from "../helpers/sql-rows";
import { createEmbeddedTestDatabase, createTestDatabase } from "../helpers/test-database";

// Derived counters past int4 (2,147,483,647): a key spending 1,000 credits a request 25 times a
// second passes it in a day, and one flush adding past it used to fail the whole statement, which
// the recorder retried forever, so no usage of any key was written again. Migration
// 20261202180000_usage_counters_bigint made those counters bigint.

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

const MIGRATION = "20261202180000_usage_counters_bigint";

// The local PostgreSQL (or what createTestDatabase falls back to), and the embedded PGlite.
const BACKENDS = {
  postgres: async () => createTestDatabase("keyhold_usage_bigint"),
  pglite: createEmbeddedTestDatabase,
} as const;
type Backend = keyof typeof BACKENDS;

async function emptyDatabase(backend: Backend): Promise<string> {
  const database = await BACKENDS[backend]();
  cleanups.push(() => database.drop());
  return database.url;
}

async function freshDatabase(backend: Backend = "postgres"): Promise<string> {
  const url = await emptyDatabase(backend);
  await migrate(url);
  return url;
}

function client(url: string): Db {
  const db = createDb(url);
  cleanups.push(() => db.$disconnect());
  return db;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;
const DAY = Date.UTC(2026, 10, 23);
const BASE = DAY + 12 * HOUR_MS;
const iso = (ms: number) => new Date(ms).toISOString();

describe.each(["postgres", "pglite"] as const)("usage counters past int4 (%s)", (backend) => {
  it("flushes uses that carry a key's day, hour and address counts past 2^31, and reads them back exactly", async () => {
    const url = await freshDatabase(backend);
    await insertKeyRow(url, "key_big");
    // The key's counts so far, just under the int4 limit.
    const requestsBefore = INT4_MAX - 5;
    const creditsBefore = INT4_MAX - 500;
    await queryRows(url, `INSERT INTO usage_key_days (key_id, day, outcome, requests, credits) VALUES ('key_big', $1, 'valid', $2, $3)`, [
      iso(DAY),
      requestsBefore,
      creditsBefore,
    ]);
    await queryRows(
      url,
      `INSERT INTO usage_key_hours (key_id, hour, outcome, requests, credits, status_4xx, status_5xx) VALUES ('key_big', $1, 'valid', 1000, $2, 0, 0)`,
      [iso(BASE), creditsBefore],
    );
    await queryRows(url, `INSERT INTO usage_key_addresses (key_id, day, ip, requests, denied, last_seen_at) VALUES ('key_big', $1, '192.0.2.9', $2, $2, $3)`, [
      iso(DAY),
      requestsBefore,
      iso(BASE),
    ]);

    const db = client(url);
    const usage = new UsageRecorder(db);
    cleanups.push(() => Promise.race([usage.stop(), new Promise((resolve) => setTimeout(resolve, 2_000))]));
    usage.addFlushHook(webhookFlushHook);
    const uses = 20;
    for (let i = 0; i < uses; i++) {
      usage.record({
        keyId: "key_big",
        outcome: i % 2 === 0 ? "valid" : "rate_limited",
        method: "POST",
        path: "/api/v1/jobs",
        status: i % 2 === 0 ? 200 : 429,
        latencyMs: 2,
        ip: "192.0.2.9",
        at: new Date(BASE + i * 1_000),
        cost: 1000,
      });
    }
    await usage.flush();
    expect(usage.stats()).toMatchObject({ written: uses, buffered: 0, flushFailures: 0 });

    const valid = uses / 2;
    const requestsAfter = requestsBefore + valid;
    const creditsAfter = creditsBefore + valid * 1000;
    expect(requestsAfter).toBeGreaterThan(INT4_MAX);
    expect(creditsAfter).toBeGreaterThan(INT4_MAX);
    expect(await queryRows(url, "SELECT outcome, requests::text, credits::text FROM usage_key_days WHERE key_id = 'key_big' ORDER BY outcome")).toEqual([
      { outcome: "rate_limited", requests: String(valid), credits: String(valid * 1000) },
      { outcome: "valid", requests: String(requestsAfter), credits: String(creditsAfter) },
    ]);
    expect(await queryRows(url, "SELECT credits::text FROM usage_key_hours WHERE key_id = 'key_big' AND outcome = 'valid'")).toEqual([
      { credits: String(creditsAfter) },
    ]);
    expect(await queryRows(url, "SELECT requests::text, denied::text FROM usage_key_addresses WHERE key_id = 'key_big'")).toEqual([
      { requests: String(requestsBefore + uses), denied: String(requestsBefore + valid) },
    ]);

    // What the API and the dashboard read: the same numbers, as JS numbers.
    const range = { from: new Date(DAY), to: new Date(DAY + DAY_MS) };
    expect(await usageSeries(db, { keyId: "key_big", ...range, granularity: "day" })).toEqual([
      { at: iso(DAY), counts: { valid: requestsAfter, rate_limited: valid } },
    ]);
    expect(await usageSeries(db, { keyId: "key_big", ...range, granularity: "day", measure: "credits" })).toEqual([
      { at: iso(DAY), counts: { valid: creditsAfter, rate_limited: valid * 1000 } },
    ]);
    expect(await usageSeries(db, { keyId: "key_big", ...range, granularity: "hour", measure: "credits" })).toEqual([
      { at: iso(BASE), counts: { valid: creditsAfter, rate_limited: valid * 1000 } },
    ]);
    const [top] = await topKeys(db, { ...range, limit: 10 });
    expect(top).toMatchObject({ keyId: "key_big", total: requestsAfter + valid, counts: { valid: requestsAfter, rate_limited: valid } });
    expect(await keyAddresses(db, "key_big", new Date(BASE))).toEqual([
      { ip: "192.0.2.9", requests: requestsBefore + uses, denied: requestsBefore + valid, lastSeenAt: iso(BASE + (uses - 1) * 1_000) },
    ]);

    // And the flushes after it still write.
    usage.record({
      keyId: "key_big",
      outcome: "valid",
      method: "POST",
      path: "/api/v1/jobs",
      status: 200,
      latencyMs: 2,
      ip: "192.0.2.9",
      at: new Date(BASE),
      cost: 1000,
    });
    await usage.flush();
    expect(usage.stats()).toMatchObject({ written: uses + 1, buffered: 0, flushFailures: 0 });
  });

  it("rebuilds a day whose raw events spent more than 2^31 credits", async () => {
    const url = await freshDatabase(backend);
    // Three uses of a billion credits each stand in for a day of 1,000-credit uses.
    await queryRows(
      url,
      `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at, cost)
       SELECT 'key_big', 'valid', 'POST', '/api/v1/jobs', 200, 2, '192.0.2.9', $1::timestamptz + n * interval '1 second', 1000000000
       FROM generate_series(0, 2) AS n`,
      [iso(BASE)],
    );
    const db = client(url);
    await rebuildUsage(db, { from: new Date(DAY), to: new Date(DAY + DAY_MS), actor: { type: "cli", id: null }, rawRetentionDays: 4000 });
    expect(await queryRows(url, "SELECT requests::text, credits::text FROM usage_key_days WHERE key_id = 'key_big'")).toEqual([
      { requests: "3", credits: "3000000000" },
    ]);
    expect(await queryRows(url, "SELECT requests::text, credits::text FROM usage_key_hours WHERE key_id = 'key_big'")).toEqual([
      { requests: "3", credits: "3000000000" },
    ]);
    const range = { from: new Date(DAY), to: new Date(DAY + DAY_MS) };
    expect(await usageSeries(db, { keyId: "key_big", ...range, granularity: "day", measure: "credits" })).toEqual([
      { at: iso(DAY), counts: { valid: 3_000_000_000 } },
    ]);
  });

  it(`keeps the counts of a database of the previous schema through ${MIGRATION}`, async () => {
    // The migrations before it, then through it: later ones are not this test's.
    const subset = (keep: (name: string) => boolean) => {
      const migrations = migrationsSubset(keep);
      cleanups.push(() => migrations.remove());
      return migrations.dir;
    };
    const previousDir = subset((name) => name < MIGRATION);
    const throughIt = subset((name) => name <= MIGRATION);
    const url = await emptyDatabase(backend);
    await migrate(url, previousDir);
    await queryRows(
      url,
      `INSERT INTO usage_key_days (key_id, day, outcome, requests, credits) VALUES ('key_a', $1, 'valid', $2, $3), ('key_b', $1, 'valid', 5, 7)`,
      [iso(DAY), INT4_MAX, INT4_MAX - 1],
    );
    await queryRows(
      url,
      `INSERT INTO usage_key_hours (key_id, hour, outcome, requests, credits, status_4xx, status_5xx, latency) VALUES ('key_a', $1, 'valid', 3, $2, 1, 2, '[5:6]={1,2}')`,
      [iso(BASE), INT4_MAX],
    );
    await queryRows(url, `INSERT INTO usage_key_addresses (key_id, day, ip, requests, denied, last_seen_at) VALUES ('key_a', $1, '192.0.2.9', $2, 12, $3)`, [
      iso(DAY),
      INT4_MAX,
      iso(BASE),
    ]);

    expect((await migrate(url, throughIt)).applied).toEqual([MIGRATION]);

    const types = await queryRows<{ table_name: string; column_name: string; data_type: string }>(
      url,
      `SELECT table_name, column_name, data_type FROM information_schema.columns
       WHERE table_name IN ('usage_key_days', 'usage_key_hours', 'usage_key_addresses') AND column_name IN ('requests', 'credits', 'denied', 'status_4xx', 'latency')
       ORDER BY 1, 2`,
    );
    expect(types.map((row) => `${row.table_name}.${row.column_name} ${row.data_type}`)).toEqual([
      "usage_key_addresses.denied bigint",
      "usage_key_addresses.requests bigint",
      "usage_key_days.credits bigint",
      "usage_key_days.requests bigint",
      "usage_key_hours.credits bigint",
      "usage_key_hours.latency ARRAY",
      "usage_key_hours.requests integer",
      "usage_key_hours.status_4xx integer",
    ]);
    expect(await queryRows(url, "SELECT key_id, requests::text, credits::text FROM usage_key_days ORDER BY 1")).toEqual([
      { key_id: "key_a", requests: String(INT4_MAX), credits: String(INT4_MAX - 1) },
      { key_id: "key_b", requests: "5", credits: "7" },
    ]);
    expect(await queryRows(url, "SELECT requests, credits::text, status_4xx, status_5xx, latency::text FROM usage_key_hours")).toEqual([
      { requests: 3, credits: String(INT4_MAX), status_4xx: 1, status_5xx: 2, latency: "[5:6]={1,2}" },
    ]);
    expect(await queryRows(url, "SELECT requests::text, denied::text FROM usage_key_addresses")).toEqual([{ requests: String(INT4_MAX), denied: "12" }]);

    // The counts go on past int4, and each day's ranking index still orders them.
    await queryRows(url, "UPDATE usage_key_days SET requests = requests + 10, credits = credits + 10 WHERE key_id = 'key_a'");
    const indexes = await queryRows<{ indexname: string }>(url, "SELECT indexname FROM pg_indexes WHERE tablename = 'usage_key_days' ORDER BY 1");
    expect(indexes.map((row) => row.indexname)).toEqual(["usage_key_days_day_key_id_idx", "usage_key_days_day_outcome_requests_idx", "usage_key_days_pkey"]);
    const connection = new pg.Client({ connectionString: url });
    await connection.connect();
    try {
      // Read through the index, as topKeys' shortlist does.
      await connection.query("SET enable_seqscan = off");
      const ranking = `SELECT key_id, requests::text AS n FROM usage_key_days WHERE day = $1 AND outcome = 'valid' ORDER BY requests DESC`;
      const plan = (await connection.query<{ "QUERY PLAN": string }>(`EXPLAIN ${ranking}`, [iso(DAY)])).rows.map((row) => row["QUERY PLAN"]).join("\n");
      expect(plan).toContain("Index Scan using usage_key_days_day_outcome_requests_idx");
      expect(plan).not.toContain("Sort");
      expect((await connection.query(ranking, [iso(DAY)])).rows).toEqual([
        { key_id: "key_a", n: String(INT4_MAX + 10) },
        { key_id: "key_b", n: "5" },
      ]);
    } finally {
      await connection.end();
    }
  });
});
