import { afterEach, describe, expect, it } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { KEY_CACHE_TTL_MS, KeyCache } from "../../lib/keys/cache";
import { issueKey, updateKey } from "../../lib/keys/service";
import { KeyVerifier, type Verification } from "../../lib/keys/verify";
import { RateLimiter } from "../../lib/ratelimit/limiter";
import { databaseForThisFile } from "../helpers/migrated-database";
import { startTcpProxy } from "../helpers/tcp-proxy";

// DESIGN.md section 15.3 with the verifier as several instances hold it, each leasing quota
// credits from one shared database: never below zero, `remaining` exact to within what is
// leased, leases returned on shutdown, leased credits spendable while the database is away.

const system = { type: "system" as const, id: null };

const shared = databaseForThisFile("keyhold_quota_leases");
const databaseUrl = () => shared.database.url;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!().catch(() => undefined);
});

/** A database client of its own, as another instance holds one. */
function client(url = databaseUrl()): Db {
  const db = createDb(url);
  cleanups.push(() => db.$disconnect());
  return db;
}

function instance(url = databaseUrl(), now: () => number = Date.now) {
  const db = client(url);
  return new KeyVerifier(db, new KeyCache(KEY_CACHE_TTL_MS, now), new RateLimiter(db), now);
}

async function remainingInDb(id: string): Promise<number | null> {
  return (await shared.admin.query<{ remaining: number | null }>("SELECT remaining FROM api_keys WHERE id = $1", [id])).rows[0]!.remaining;
}

function quotaKey(remaining: number) {
  return issueKey(shared.db, { name: "quota-test", remaining }, system);
}

/** `total` verifications, at most `concurrency` in flight, alternating between the instances. */
async function hammer(instances: KeyVerifier[], key: string, total: number, concurrency: number, cost?: number): Promise<Verification[]> {
  const results: Verification[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        results.push(await instances[i % instances.length]!.verify(key, [], { cost }));
      }
    }),
  );
  return results;
}

const admitted = (results: Verification[]) => results.filter((result) => result.valid).length;
const codes = (results: Verification[]) => new Set(results.filter((result) => !result.valid).map((result) => (result.valid ? "" : result.code)));

describe("quota leases across instances", () => {
  it("admits exactly 100 of 300 uses of a quota of 100 from two instances with 50 in flight", async () => {
    const a = instance();
    const b = instance();
    const { key, record } = await quotaKey(100);

    const results = await hammer([a, b], key, 300, 50);

    expect(admitted(results)).toBe(100);
    expect(codes(results)).toEqual(new Set(["quota_exceeded"]));
    expect(a.quota.held(record.id) + b.quota.held(record.id)).toBe(0);
    expect(await remainingInDb(record.id)).toBe(0);
  });

  it("never spends a credit twice with costs across instances: what was admitted and what is left add up to the quota", async () => {
    const a = instance();
    const b = instance();
    const { key, record } = await quotaKey(100);

    const results = await hammer([a, b], key, 60, 20, 7);

    // One instance may hold credits too few for another use of 7 while the other is short:
    // the "within what is leased" of section 15.3. Nothing is lost or spent twice.
    expect(admitted(results)).toBeGreaterThanOrEqual(12);
    expect(admitted(results)).toBeLessThanOrEqual(14);
    await a.quota.returnAll();
    await b.quota.returnAll();
    expect(admitted(results) * 7 + (await remainingInDb(record.id))!).toBe(100);
  });

  it("spends costs exactly on one instance: 60 uses of cost 7 on a quota of 100 admit 14 and leave 2", async () => {
    const verifier = instance();
    const { key, record } = await quotaKey(100);

    const results = await hammer([verifier], key, 60, 20, 7);

    expect(admitted(results)).toBe(14);
    expect(codes(results)).toEqual(new Set(["quota_exceeded"]));
    await verifier.quota.returnAll();
    expect(await remainingInDb(record.id)).toBe(2);
  });

  it("keeps remaining exact to within what is leased, and gives the lease back on shutdown", async () => {
    const verifier = instance();
    const { key, record } = await quotaKey(10_000);

    const results = await hammer([verifier], key, 400, 1);

    expect(admitted(results)).toBe(400);
    // A lease taken ahead of need may still be on its way; its credits count once it answers.
    await verifier.quota.settled();
    const held = verifier.quota.held(record.id);
    // Batches grow with demand, so 400 uses cost far fewer than 400 writes and leave some leased.
    expect(held).toBeGreaterThan(0);
    expect(await remainingInDb(record.id)).toBe(10_000 - 400 - held);
    // The instance reports what the key has left as it sees it: the database plus its lease.
    const last = results.at(-1)!;
    expect(last.valid && last.remaining).toBe(10_000 - 400);

    expect(await verifier.quota.returnAll()).toBe(held);
    expect(verifier.quota.held(record.id)).toBe(0);
    expect(await remainingInDb(record.id)).toBe(10_000 - 400);
  });

  it("drops a lease instead of returning it when the quota was set anew since", async () => {
    const verifier = instance();
    const { key, record } = await quotaKey(10_000);
    await hammer([verifier], key, 100, 1);
    await verifier.quota.settled();
    expect(verifier.quota.held(record.id)).toBeGreaterThan(0);

    await updateKey(shared.db, record.id, { remaining: 50 }, system);

    expect(await verifier.quota.returnAll()).toBe(0);
    expect(await remainingInDb(record.id)).toBe(50);
  });

  it("refuses a use whose cost exceeds what is left, spending nothing", async () => {
    const verifier = instance();
    const { key, record } = await quotaKey(10);

    const first = await verifier.verify(key, [], { cost: 4 });
    const tooMuch = await verifier.verify(key, [], { cost: 7 });
    const exact = await verifier.verify(key, [], { cost: 6 });
    const after = await verifier.verify(key, [], { cost: 1 });

    expect(first).toMatchObject({ valid: true, remaining: 6 });
    expect(tooMuch).toMatchObject({ valid: false, code: "quota_exceeded" });
    expect(exact).toMatchObject({ valid: true, remaining: 0 });
    expect(after).toMatchObject({ valid: false, code: "quota_exceeded" });
    expect(await remainingInDb(record.id)).toBe(0);
  });

  it("spends leased credits while the database is unreachable, then refuses with unavailable", async () => {
    const target = new URL(databaseUrl());
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    cleanups.push(() => proxy.close());
    const url = new URL(databaseUrl());
    url.hostname = "127.0.0.1";
    url.port = String(proxy.port);
    const verifier = instance(url.toString());
    const { key, record } = await quotaKey(10_000);
    await hammer([verifier], key, 100, 1);
    await verifier.quota.settled();
    const held = verifier.quota.held(record.id);
    expect(held).toBeGreaterThan(0);

    await proxy.cut();
    const during = await hammer([verifier], key, held + 3, 1);

    expect(during.slice(0, held).every((result) => result.valid)).toBe(true);
    expect(during.slice(held).map((result) => !result.valid && result.code)).toEqual(["unavailable", "unavailable", "unavailable"]);
    await proxy.restore();
  });
});
