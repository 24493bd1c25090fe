import pg from "pg";
import { afterEach, describe, expect, it, vi } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { KEY_CACHE_TTL_MS, KeyCache } from "../../lib/keys/cache";
import { hashKey } from "../../lib/keys/hash";
import { listenForKeyChanges } from "../../lib/keys/invalidation";
import { issueKey, revokeKey } from "../../lib/keys/service";
import { KeyVerifier } from "../../lib/keys/verify";
import { RateLimiter } from "../../lib/ratelimit/limiter";
import { databaseForThisFile } from "../helpers/migrated-database";
import { startTcpProxy } from "../helpers/tcp-proxy";

// DESIGN.md section 9 with the verifier as several instances hold it: each with its own cache
// and database client on one shared database. Quotas are exact across them, a change notified
// by anyone evicts a cached key within a second, a database outage fails closed except for keys
// fresh in the cache, and no cache entry outlives its TTL.

const system = { type: "system" as const, id: null };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const shared = databaseForThisFile("keyhold_verifier");
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

/** One app instance's verifier: a client, a cache and a rate limiter of its own. */
function instance(url = databaseUrl(), now: () => number = Date.now) {
  const db = client(url);
  const cache = new KeyCache(KEY_CACHE_TTL_MS, now);
  return { db, cache, verifier: new KeyVerifier(db, cache, new RateLimiter(db), now) };
}

async function sql<R extends pg.QueryResultRow>(text: string, params: unknown[] = []): Promise<R[]> {
  return (await shared.admin.query<R>(text, params)).rows;
}

async function newKey(input: { remaining?: number } = {}) {
  return issueKey(shared.db, { name: "verifier-test", ...input }, system);
}

async function proxied() {
  const target = new URL(databaseUrl());
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  cleanups.push(() => proxy.close());
  const url = new URL(databaseUrl());
  url.hostname = "127.0.0.1";
  url.port = String(proxy.port);
  return { proxy, url: url.toString() };
}

describe("KeyVerifier across instances sharing one database", () => {
  it("spends a quota of 5 exactly once each under 50 concurrent verifications split over two instances", async () => {
    const a = instance();
    const b = instance();
    const { key, record } = await newKey({ remaining: 5 });

    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => (i % 2 === 0 ? a : b).verifier.verify(key)));

    const valid = results.filter((result) => result.valid);
    expect(valid).toHaveLength(5);
    // Each success saw a distinct remaining value: no two instances spent the same unit.
    expect(valid.map((result) => result.remaining).sort()).toEqual([0, 1, 2, 3, 4]);
    expect(results.filter((result) => !result.valid && result.code === "quota_exceeded")).toHaveLength(45);
    const [row] = await sql<{ remaining: number }>("SELECT remaining FROM api_keys WHERE id = $1", [record.id]);
    expect(row.remaining).toBe(0);
  });

  it("evicts a cached key within a second of its revocation by another instance, through LISTEN/NOTIFY", async () => {
    const listening = instance();
    const deaf = instance();
    let onListening!: () => void;
    const ready = new Promise<void>((resolve) => (onListening = resolve));
    const listener = listenForKeyChanges(databaseUrl(), {
      onChange: (id) => listening.cache.evictById(id),
      onReset: () => {
        listening.cache.clear();
        onListening();
      },
    });
    cleanups.push(() => listener.stop());
    await ready;

    const { key, record } = await newKey();
    expect((await listening.verifier.verify(key)).valid).toBe(true);
    expect((await deaf.verifier.verify(key)).valid).toBe(true);
    expect(listening.cache.get(hashKey(key))).toMatchObject({ id: record.id, revokedAt: null });

    // Revoked through a client of its own, as another instance would; this process's shared
    // cache is not either verifier's, so only the notification can reach them. Connected
    // beforehand, so the second measured is the notification's, not a connection setup's.
    const elsewhere = client();
    await elsewhere.$queryRaw`SELECT 1`;
    const started = performance.now();
    await revokeKey(elsewhere, record.id, "leaked", system);
    let code: string | null = null;
    while (performance.now() - started < 3_000) {
      const result = await listening.verifier.verify(key);
      if (!result.valid) {
        code = result.code;
        break;
      }
      await sleep(50);
    }
    const elapsed = performance.now() - started;
    console.log(`revocation evicted the cached key after ${elapsed.toFixed(0)} ms`);
    expect(code).toBe("revoked_key");
    expect(elapsed).toBeLessThan(1_000);
    // Without a listener the entry is served until its TTL: the eviction above is the listener's doing.
    expect((await deaf.verifier.verify(key)).valid).toBe(true);
  });

  it("keeps verifying cached keys without a quota while the database is cut, and refuses everything else", async () => {
    const { proxy, url } = await proxied();
    const a = instance(url);
    const cached = await newKey();
    const quota = await newKey({ remaining: 10 });
    const unseen = await newKey();
    expect((await a.verifier.verify(cached.key)).valid).toBe(true);
    expect((await a.verifier.verify(quota.key)).valid).toBe(true);

    await proxy.cut();
    for (let i = 0; i < 5; i++) expect(await a.verifier.verify(cached.key)).toMatchObject({ valid: true, key: { id: cached.record.id } });
    expect(await a.verifier.verify(unseen.key)).toMatchObject({ valid: false, code: "unavailable", key: null });
    // A quota is only enforced by the database, so even a cached key with one is refused.
    expect(await a.verifier.verify(quota.key)).toMatchObject({ valid: false, code: "unavailable", key: { id: quota.record.id } });

    await proxy.restore();
    expect((await a.verifier.verify(unseen.key)).valid).toBe(true);
    const [row] = await sql<{ remaining: number }>("SELECT remaining FROM api_keys WHERE id = $1", [quota.record.id]);
    expect(row.remaining).toBe(9);
  });

  it("does not use a cache entry once it is as old as the TTL", async () => {
    const clock = { t: Date.now() };
    const a = instance(databaseUrl(), () => clock.t);
    const { key, record } = await newKey();
    expect((await a.verifier.verify(key)).valid).toBe(true);
    // Behind the service's back: no notification, so only a fresh lookup can see it.
    await sql("UPDATE api_keys SET revoked_at = now() WHERE id = $1", [record.id]);

    clock.t += KEY_CACHE_TTL_MS - 1;
    expect((await a.verifier.verify(key)).valid).toBe(true);
    clock.t += 1;
    expect(await a.verifier.verify(key)).toMatchObject({ valid: false, code: "revoked_key" });
  });

  it("refuses a key whose cache entry has outlived the TTL while the database is cut", async () => {
    const { proxy, url } = await proxied();
    const clock = { t: Date.now() };
    const a = instance(url, () => clock.t);
    const { key } = await newKey();
    expect((await a.verifier.verify(key)).valid).toBe(true);

    await proxy.cut();
    clock.t += KEY_CACHE_TTL_MS - 1;
    expect((await a.verifier.verify(key)).valid).toBe(true);
    clock.t += 1;
    expect(await a.verifier.verify(key)).toMatchObject({ valid: false, code: "unavailable" });
  });

  it("never caches a row read before a revocation whose eviction ran while the read was held open", async () => {
    const { db, hold } = heldReads(client());
    const cache = new KeyCache();
    const verifier = new KeyVerifier(db, cache, new RateLimiter(db));
    const { key, record } = await newKey();

    const released = hold();
    const first = verifier.verify(key);
    await released.reading;
    // The read has its row (not revoked) and has not stored it yet. Now the revocation commits
    // and its eviction runs, as the revoking instance or the notification would do it.
    await revokeKey(client(), record.id, "leaked", system);
    cache.evictById(record.id);
    // A request arriving now must not join the read that began before the revocation.
    const second = verifier.verify(key);

    released.release();
    await first;
    expect(await second).toMatchObject({ valid: false, code: "revoked_key" });
    expect(await verifier.verify(key)).toMatchObject({ valid: false, code: "revoked_key" });
    expect(cache.get(hashKey(key))).toMatchObject({ id: record.id, revokedAt: expect.any(Number) });
  });

  it("reloads a key in use before its entry expires, so it never misses and outlives a later outage", async () => {
    const { proxy, url } = await proxied();
    const clock = { t: Date.now() };
    const a = instance(url, () => clock.t);
    const { key } = await newKey();
    const hash = hashKey(key);
    expect((await a.verifier.verify(key)).valid).toBe(true);
    const storedAt = () => (a.cache as unknown as { byHash: Map<string, { storedAt: number }> }).byHash.get(hash)?.storedAt;

    clock.t += (KEY_CACHE_TTL_MS * 2) / 3;
    expect((await a.verifier.verify(key)).valid).toBe(true);
    await vi.waitFor(() => expect(storedAt()).toBe(clock.t));

    // Past the first entry's TTL, with the database gone: only the reload can answer.
    await proxy.cut();
    clock.t += KEY_CACHE_TTL_MS / 2;
    expect((await a.verifier.verify(key)).valid).toBe(true);
  });
});

/** A client whose next key read, once hold() is called, keeps its answer until release(). */
function heldReads(db: Db) {
  let gate: { reading: () => void; wait: Promise<void> } | null = null;
  const apiKey = new Proxy(db.apiKey, {
    get(target, property) {
      const value = Reflect.get(target, property) as unknown;
      if (property !== "findUnique" || typeof value !== "function") return value;
      return async (...args: unknown[]) => {
        const row: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        const held = gate;
        gate = null;
        if (held) {
          held.reading();
          await held.wait;
        }
        return row;
      };
    },
  });
  const held = new Proxy(db, { get: (target, property) => (property === "apiKey" ? apiKey : Reflect.get(target, property)) });
  return {
    db: held,
    hold() {
      let release!: () => void;
      let reading!: () => void;
      const readingPromise = new Promise<void>((resolve) => (reading = resolve));
      const wait = new Promise<void>((resolve) => (release = resolve));
      gate = { reading, wait };
      return { reading: readingPromise, release };
    },
  };
}
