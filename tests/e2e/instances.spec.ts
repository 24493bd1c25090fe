import { expect, test } from "@playwright/test";

import { issueKey, revokeKey } from "../../lib/keys/service";
import { Harness, ready, sleep, system, usageCounts, whoami, type Instance } from "../helpers/instance-harness";
import { startTcpProxy } from "../helpers/tcp-proxy";

// Several app instances on one PostgreSQL database (DESIGN.md section 9): changes reach every
// instance's cache within a second, quotas and rate limits hold across instances, usage events
// from all of them are counted and survive SIGTERM, and a database outage fails closed except
// for keys still fresh in the cache. Each test runs its own instances on its own database.
test.describe.configure({ mode: "serial" });

/**
 * Makes sure every instance serves `key` from its cache: renames the key in the database behind
 * the service's back (no notification), and expects every instance still to answer the old name.
 * Otherwise a "fast invalidation" could just be an instance that never cached anything.
 */
async function warmCaches(instances: Instance[], key: string, id: string, sql: (text: string, params?: unknown[]) => Promise<unknown>) {
  for (const { base } of instances) expect((await whoami(base, key)).status).toBe(200);
  // The first request starts each instance's change listener, whose (re)connection clears the
  // cache; wait for that, then fill the caches again.
  await sleep(1_000);
  for (const { base } of instances) expect((await whoami(base, key)).body.name).toBe("instances");
  await sql("UPDATE api_keys SET name = 'renamed without notice' WHERE id = $1", [id]);
  for (const { base } of instances) expect((await whoami(base, key)).body.name).toBe("instances");
}

/** Polls every instance every 50 ms until each answers `code`; milliseconds from `started` per instance. */
async function timeUntil(instances: Instance[], key: string, code: string, started: number): Promise<number[]> {
  const seen: (number | null)[] = instances.map(() => null);
  while (seen.some((at) => at === null) && performance.now() - started < 5_000) {
    const results = await Promise.all(instances.map(({ base }) => whoami(base, key)));
    results.forEach((result, i) => {
      if (seen[i] !== null) return;
      if (result.code === code) {
        expect(result.status).toBe(401);
        seen[i] = performance.now() - started;
      } else {
        expect(result.status).toBe(200);
      }
    });
    await sleep(50);
  }
  return seen.map((at) => at ?? Infinity);
}

test("a revocation or expiry reaches every instance's cache within one second", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const a = harness.launch(3131, database.url);
    const b = harness.launch(3132, database.url);
    await ready(a, b);

    const revoked = await issueKey(database.db, { name: "instances" }, system);
    await warmCaches([a, b], revoked.key, revoked.record.id, database.sql);
    let started = performance.now();
    await revokeKey(database.db, revoked.record.id, "leaked", system);
    const revokedMs = await timeUntil([a, b], revoked.key, "revoked_key", started);
    console.log(`revocation seen after: A ${revokedMs[0].toFixed(0)} ms, B ${revokedMs[1].toFixed(0)} ms`);
    for (const ms of revokedMs) expect(ms).toBeLessThan(1_000);

    const expired = await issueKey(database.db, { name: "instances" }, system);
    await warmCaches([a, b], expired.key, expired.record.id, database.sql);
    started = performance.now();
    await database.sql("UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = $1", [expired.record.id]);
    await database.sql("SELECT pg_notify('keyhold_key_changed', $1)", [expired.record.id]);
    const expiredMs = await timeUntil([a, b], expired.key, "expired_key", started);
    console.log(`expiry seen after: A ${expiredMs[0].toFixed(0)} ms, B ${expiredMs[1].toFixed(0)} ms`);
    for (const ms of expiredMs) expect(ms).toBeLessThan(1_000);
  } finally {
    await harness.close();
  }
});

test("a quota of 5 under 50 concurrent requests across two instances gives exactly 5 successes", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const a = harness.launch(3133, database.url);
    const b = harness.launch(3134, database.url);
    await ready(a, b);

    const { key, record } = await issueKey(database.db, { name: "instances", remaining: 5 }, system);
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => whoami((i % 2 === 0 ? a : b).base, key)));
    expect(results.filter((result) => result.status === 200)).toHaveLength(5);
    expect(results.filter((result) => result.status === 429 && result.code === "quota_exceeded")).toHaveLength(45);
    expect((await database.db.apiKey.findUniqueOrThrow({ where: { id: record.id } })).remaining).toBe(0);
  } finally {
    await harness.close();
  }
});

test("a rate limit of 100 per minute across two instances admits 100 within 10%", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const a = harness.launch(3135, database.url);
    const b = harness.launch(3136, database.url);
    await ready(a, b);

    const windowMs = 60_000;
    const { key } = await issueKey(database.db, { name: "instances", ratelimit: { limit: 100, windowMs } }, system);
    // Windows are aligned to the epoch; a burst straddling a boundary would get two budgets.
    const intoWindow = Date.now() % windowMs;
    if (intoWindow > windowMs - 15_000) await sleep(windowMs - intoWindow + 500);

    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => whoami((i % 2 === 0 ? a : b).base, key)));
    const allowedBy = [0, 1].map((side) => results.filter((result, i) => i % 2 === side && result.status === 200).length);
    const allowed = allowedBy[0] + allowedBy[1];
    console.log(`rate limit 100/60 s, 300 requests over A and B: ${allowed} allowed (A ${allowedBy[0]}, B ${allowedBy[1]})`);
    expect(results.filter((result) => result.status === 429 && result.code === "rate_limited")).toHaveLength(300 - allowed);
    expect(allowed).toBeGreaterThanOrEqual(90);
    expect(allowed).toBeLessThanOrEqual(110);
  } finally {
    await harness.close();
  }
});

test("usage events from every instance are all counted, rollups included, after SIGTERM", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const a = harness.launch(3137, database.url);
    const b = harness.launch(3138, database.url);
    await ready(a, b);

    const { key, record } = await issueKey(database.db, { name: "instances" }, system);
    const n = 240;
    // Ten at a time, so both instances see steady traffic rather than one burst.
    for (let i = 0; i < n; i += 10) {
      const results = await Promise.all(Array.from({ length: 10 }, (_, j) => whoami(((i + j) % 2 === 0 ? a : b).base, key)));
      expect(results.map((result) => result.status)).toEqual(Array(10).fill(200));
    }
    a.run.child.kill("SIGTERM");
    b.run.child.kill("SIGTERM");
    expect(await a.run.exited, a.run.output()).toBe(0);
    expect(await b.run.exited, b.run.output()).toBe(0);

    expect(await usageCounts(database.sql, record.id)).toEqual({ events: n, ok: n, rolled: n });
  } finally {
    await harness.close();
  }
});

test("SIGTERM in the middle of a load loses no usage event of a request that was answered", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const a = harness.launch(3139, database.url);
    await ready(a);

    const { key, record } = await issueKey(database.db, { name: "instances" }, system);
    const counts = { ok: 0, okAfterSignal: 0, other: 0, failed: 0 };
    let signalled = false;
    let giveUp = false;
    const loop = async () => {
      while (!giveUp) {
        try {
          const response = await fetch(`${a.base}/api/v1/whoami`, { headers: { "x-api-key": key } });
          await response.arrayBuffer();
          if (response.status === 200) {
            counts.ok++;
            if (signalled) counts.okAfterSignal++;
          } else {
            counts.other++;
          }
        } catch {
          // Refused or reset: the server has stopped taking this loop's requests.
          counts.failed++;
          return;
        }
      }
    };
    const loops = Array.from({ length: 20 }, loop);

    const deadline = Date.now() + 30_000;
    while (counts.ok < 300 && Date.now() < deadline) await sleep(10);
    expect(counts.ok).toBeGreaterThanOrEqual(300);
    const atSignal = counts.ok;
    a.run.child.kill("SIGTERM");
    signalled = true;
    const signalledAt = performance.now();
    const code = await a.run.exited;
    const exitMs = performance.now() - signalledAt;
    giveUp = true;
    await Promise.all(loops);

    const stored = await usageCounts(database.sql, record.id);
    console.log(
      `SIGTERM under load: exit after ${exitMs.toFixed(0)} ms; ${atSignal} answered before the signal, ` +
        `${counts.okAfterSignal} after, ${counts.failed} loops refused, ${stored.ok} 200 events stored ` +
        `(${stored.ok - counts.ok} handled but never answered)`,
    );
    expect(code, a.run.output()).toBe(0);
    expect(counts.other).toBe(0);
    expect(stored.ok).toBeGreaterThanOrEqual(counts.ok);
    // A loop can lose at most the response of the request its connection died under.
    expect(stored.ok).toBeLessThanOrEqual(counts.ok + counts.failed);
    expect(stored.rolled).toBe(stored.events);
  } finally {
    await harness.close();
  }
});

test("database outage: fresh cached keys keep working, everything else fails closed, events arrive later", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const target = new URL(database.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    harness.defer(() => proxy.close());
    const viaProxy = new URL(database.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    const a = harness.launch(3131, viaProxy.toString());
    await ready(a);

    const cached = await issueKey(database.db, { name: "instances" }, system);
    const quota = await issueKey(database.db, { name: "instances", remaining: 100 }, system);
    const unseen = await issueKey(database.db, { name: "instances" }, system);
    await warmCaches([a], cached.key, cached.record.id, database.sql);
    expect((await whoami(a.base, quota.key)).status).toBe(200);
    let cachedUses = 3;

    await proxy.cut();
    for (let i = 0; i < 5; i++) {
      const result = await whoami(a.base, cached.key);
      expect(result.status).toBe(200);
      cachedUses++;
    }
    const refusedUnseen = await whoami(a.base, unseen.key);
    expect([refusedUnseen.status, refusedUnseen.code]).toEqual([503, "unavailable"]);
    // Cached or not, a quota is only enforced by the database: without it, refuse.
    const refusedQuota = await whoami(a.base, quota.key);
    expect([refusedQuota.status, refusedQuota.code]).toEqual([503, "unavailable"]);
    const health = await fetch(`${a.base}/api/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toEqual({ status: "degraded", database: "down" });
    expect((await whoami(a.base, cached.key)).status).toBe(200);
    cachedUses++;

    await proxy.restore();
    await expect.poll(async () => (await usageCounts(database.sql, cached.record.id)).ok, { timeout: 10_000, intervals: [250] }).toBe(cachedUses);
    await expect
      .poll(async () => database.sql(`SELECT key_id, outcome, status FROM usage_events WHERE outcome = 'unavailable' ORDER BY id`), {
        timeout: 10_000,
        intervals: [250],
      })
      .toEqual([
        // The unseen key could not be looked up, so its event cannot name it.
        { key_id: null, outcome: "unavailable", status: 503 },
        { key_id: quota.record.id, outcome: "unavailable", status: 503 },
      ]);
    expect((await database.db.apiKey.findUniqueOrThrow({ where: { id: quota.record.id } })).remaining).toBe(99);
  } finally {
    await harness.close();
  }
});
