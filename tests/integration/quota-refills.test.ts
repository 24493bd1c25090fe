import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { KEY_CACHE_TTL_MS, KeyCache } from "../../lib/keys/cache";
import { issueKey } from "../../lib/keys/service";
import { KeyVerifier } from "../../lib/keys/verify";
import { RateLimiter } from "../../lib/ratelimit/limiter";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 15.3: at the first use after a UTC day or calendar month starts, a key's
// remaining is set to its refill amount, once across instances, audited as a system change.
// Time is the verifiers' clock, moved by the test; the key's quota is set at the real time.

const system = { type: "system" as const, id: null };
const DAY = 86_400_000;

const shared = databaseForThisFile("keyhold_quota_refills");

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** A database client of its own, as another instance holds one. */
function client(): Db {
  const db = createDb(shared.database.url);
  cleanups.push(() => db.$disconnect());
  return db;
}

function clock(at: number) {
  const state = { t: at };
  return { set: (t: number) => (state.t = t), now: () => state.t };
}

function instance(now: () => number) {
  const db = client();
  return new KeyVerifier(db, new KeyCache(KEY_CACHE_TTL_MS, now), new RateLimiter(db), now);
}

async function query<R extends pg.QueryResultRow>(text: string, params: unknown[]): Promise<R[]> {
  return (await shared.admin.query<R>(text, params)).rows;
}

const refills = (keyId: string) =>
  query<{ actor_type: string; actor_id: string | null; data: Record<string, unknown> }>(
    "SELECT actor_type, actor_id, data FROM audit_logs WHERE action = 'key.refill' AND target_id = $1",
    [keyId],
  );

describe("quota refills", () => {
  it("starts a key created with a refill and no remaining at the amount", async () => {
    const { record } = await issueKey(shared.db, { name: "refill", refill: { interval: "daily", amount: 25 } }, system);
    expect(record.remaining).toBe(25);
  });

  it("refills a spent daily quota at the first use after midnight UTC, not a millisecond before", async () => {
    const time = clock(Date.now());
    const verifier = instance(time.now);
    const { key, record } = await issueKey(shared.db, { name: "refill", remaining: 2, refill: { interval: "daily", amount: 3 } }, system);
    const midnight = Math.floor(Date.now() / DAY) * DAY + DAY;

    expect((await verifier.verify(key)).valid).toBe(true);
    expect((await verifier.verify(key)).valid).toBe(true);
    expect(await verifier.verify(key)).toMatchObject({ valid: false, code: "quota_exceeded" });

    time.set(midnight - 1);
    expect(await verifier.verify(key)).toMatchObject({ valid: false, code: "quota_exceeded" });
    expect(await refills(record.id)).toHaveLength(0);

    time.set(midnight);
    // Set to the amount, not added to: 3, of which this use spends 1.
    expect(await verifier.verify(key)).toMatchObject({ valid: true, remaining: 2 });
    expect(await verifier.verify(key)).toMatchObject({ valid: true, remaining: 1 });

    const entries = await refills(record.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ actor_type: "system", actor_id: null });
    expect(entries[0]!.data).toEqual({ interval: "daily", amount: 3, previous: 0, periodStart: new Date(midnight).toISOString() });
  });

  it("sets a monthly quota back to the amount on the first day of the next month, discarding what was left", async () => {
    const now = new Date();
    const nextMonth = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
    const time = clock(Date.now());
    const verifier = instance(time.now);
    const { key, record } = await issueKey(shared.db, { name: "refill", remaining: 500, refill: { interval: "monthly", amount: 10 } }, system);
    expect(await verifier.verify(key)).toMatchObject({ valid: true, remaining: 499 });

    time.set(nextMonth - DAY);
    expect(await verifier.verify(key)).toMatchObject({ valid: true, remaining: 498 });
    time.set(nextMonth + 5 * DAY);
    expect(await verifier.verify(key)).toMatchObject({ valid: true, remaining: 9 });
    await verifier.quota.returnAll();

    const [row] = await query<{ remaining: number }>("SELECT remaining FROM api_keys WHERE id = $1", [record.id]);
    expect(row!.remaining).toBe(9);
    expect(await refills(record.id)).toHaveLength(1);
  });

  it("refills exactly once when two instances see the new day together", async () => {
    const midnight = Math.floor(Date.now() / DAY) * DAY + DAY;
    const a = instance(() => midnight + 10);
    const b = instance(() => midnight + 20);
    const { key, record } = await issueKey(shared.db, { name: "refill", remaining: 0, refill: { interval: "daily", amount: 5 } }, system);

    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).verify(key)));

    expect(results.filter((result) => result.valid)).toHaveLength(5);
    expect(await refills(record.id)).toHaveLength(1);
  });
});
