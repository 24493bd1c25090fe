import net from "node:net";

import pg from "pg";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { RateLimiter, type RateLimitResult } from "../../lib/ratelimit/limiter";
import { startTcpProxy } from "../helpers/tcp-proxy";
import { createTestDatabase } from "../helpers/test-database";

// DESIGN.md section 9: limits are exact on one instance, at most 10% over across instances that
// share a database, and keep working (per instance) while the database is unreachable.

const WINDOW = 60_000;

// Test time starts a little after an epoch-aligned window start, so no batch of checks can
// straddle a window boundary by accident; tests move it by hand.
function testClock() {
  const start = Math.floor(Date.now() / WINDOW) * WINDOW + 1_000;
  const clock = { t: start, windowStart: start - 1_000, now: () => clock.t };
  return clock;
}

interface Harness {
  url: string;
  sql<R extends pg.QueryResultRow = Record<string, unknown>>(text: string, params?: unknown[]): Promise<R[]>;
  /** A Prisma client of its own, like a separate app instance; closed after the test. */
  client(url?: string): Db;
  defer(close: () => Promise<unknown>): void;
}

// A private, migrated database per test, so no test passes on rows another one left behind.
async function freshDatabase(): Promise<Harness> {
  const database = await createTestDatabase("keyhold_ratelimit");
  const closers: (() => Promise<unknown>)[] = [];
  onTestFinished(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await database.drop();
  });
  await migrate(database.url);
  const admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  closers.push(() => admin.end());
  return {
    url: database.url,
    sql: async <R extends pg.QueryResultRow>(text: string, params: unknown[] = []) => (await admin.query<R>(text, params)).rows,
    client(url = database.url) {
      const db = createDb(url);
      closers.push(() => db.$disconnect());
      return db;
    },
    defer(close) {
      closers.push(close);
    },
  };
}

interface QueryStats {
  leases: number;
  deletes: number;
  inFlight: number;
  maxInFlight: number;
}

// Counts the limiter's statements by kind, and can slow leases down so that requests pile up
// behind one while it is in flight.
function instrument(db: Db, options: { leaseDelayMs?: number } = {}): { db: Db; stats: QueryStats } {
  const stats: QueryStats = { leases: 0, deletes: 0, inFlight: 0, maxInFlight: 0 };
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop !== "$queryRaw" && prop !== "$executeRaw") return Reflect.get(target, prop, target);
      return (strings: TemplateStringsArray, ...values: unknown[]) => {
        const text = strings.join("?");
        const run = () => (target[prop] as (s: TemplateStringsArray, ...v: unknown[]) => Promise<unknown>).call(target, strings, ...values);
        if (text.includes("DELETE FROM ratelimit_windows")) {
          stats.deletes++;
          return run();
        }
        if (!text.includes("INSERT INTO ratelimit_windows")) return run();
        stats.leases++;
        stats.inFlight++;
        stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
        const delay = options.leaseDelayMs ?? 0;
        return new Promise((resolve) => setTimeout(resolve, delay)).then(run).finally(() => {
          stats.inFlight--;
        });
      };
    },
  });
  return { db: wrapped, stats };
}

function allowedCount(results: RateLimitResult[]): number {
  return results.filter((result) => result.allowed).length;
}

async function windowRows(harness: Harness, keyId: string) {
  return harness.sql<{ window_start: Date; used: number; last_grant: number }>(
    "SELECT window_start, used, last_grant FROM ratelimit_windows WHERE key_id = $1 ORDER BY window_start",
    [keyId],
  );
}

// Deterministic, so a failure can be replayed.
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1_664_525 + 1_013_904_223) >>> 0;
    return state / 2 ** 32;
  };
}

describe("RateLimiter on one instance", () => {
  it("admits exactly the limit among concurrent checks, in arrival order, and again in the next window", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const { db, stats } = instrument(harness.client());
    const limiter = new RateLimiter(db, { now: clock.now });

    const results = await Promise.all(Array.from({ length: 25 }, () => limiter.check("key_a", 10, WINDOW)));
    expect(allowedCount(results)).toBe(10);
    // Served in order: the first ten callers get the budget, and each sees one less remaining.
    expect(results.map((result) => result.allowed)).toEqual([...Array(10).fill(true), ...Array(15).fill(false)]);
    expect(results.slice(0, 10).map((result) => result.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    // The only instance leasing takes half of what is left each time (5, 3, 1, 1), and the
    // answer that fills the window also says it is spent, so the denied fifteen cost nothing.
    expect(stats.leases).toBe(4);
    for (const result of results) {
      expect(result.limit).toBe(10);
      expect(result.resetAt).toBe(clock.windowStart + WINDOW);
      expect(result.remaining).toBeGreaterThanOrEqual(0);
    }
    expect(await windowRows(harness, "key_a")).toEqual([{ window_start: new Date(clock.windowStart), used: 10, last_grant: expect.any(Number) }]);

    // A spent window is answered from memory until it ends.
    const leasesWhenSpent = stats.leases;
    clock.t += 30_000;
    const late = await Promise.all(Array.from({ length: 5 }, () => limiter.check("key_a", 10, WINDOW)));
    expect(allowedCount(late)).toBe(0);
    expect(late[0]).toEqual({ allowed: false, limit: 10, remaining: 0, resetAt: clock.windowStart + WINDOW });
    expect(stats.leases).toBe(leasesWhenSpent);

    // A sliding window: just past the boundary the ten of the last window still count, so a
    // second burst gets nothing; half way through, they count half.
    clock.t = clock.windowStart + WINDOW + 5;
    const boundary = await Promise.all(Array.from({ length: 10 }, () => limiter.check("key_a", 10, WINDOW)));
    expect(allowedCount(boundary)).toBe(0);
    expect(boundary[0]).toMatchObject({ allowed: false, remaining: 0 });
    // Retry-After points at the moment the last window's count has faded by one request.
    expect(boundary[0].resetAt).toBe(clock.windowStart + WINDOW + WINDOW / 10);
    clock.t = clock.windowStart + WINDOW + WINDOW / 2;
    const half = await Promise.all(Array.from({ length: 10 }, () => limiter.check("key_a", 10, WINDOW)));
    expect(allowedCount(half)).toBe(5);

    clock.t = clock.windowStart + 3 * WINDOW + 5;
    const next = await limiter.check("key_a", 10, WINDOW);
    expect(next).toEqual({ allowed: true, limit: 10, remaining: 9, resetAt: clock.windowStart + 4 * WINDOW });
    const rows = await windowRows(harness, "key_a");
    expect(rows.map((row) => [row.window_start.getTime(), row.used])).toEqual([
      [clock.windowStart, 10],
      [clock.windowStart + WINDOW, 5],
      [clock.windowStart + 3 * WINDOW, expect.any(Number)],
    ]);
  });

  it("never admits a double burst across a window boundary, wherever the first burst falls", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const limiter = new RateLimiter(harness.client(), { now: clock.now });
    // The whole limit at the very end of one window, then as much as is admitted right after.
    clock.t = clock.windowStart + WINDOW - 10;
    const before = await Promise.all(Array.from({ length: 20 }, () => limiter.check("key_edge", 20, WINDOW)));
    clock.t = clock.windowStart + WINDOW + 10;
    const after = await Promise.all(Array.from({ length: 20 }, () => limiter.check("key_edge", 20, WINDOW)));
    expect(allowedCount(before)).toBe(20);
    // A fixed window would admit 20 more here: 40 within 20 ms.
    expect(allowedCount(after)).toBe(0);
  });

  it("counts what the last window admitted, not what was leased ahead in it, right after a boundary", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const limiter = new RateLimiter(harness.client(), { now: clock.now });
    // Forty requests late in a window, in small bursts: the only instance leasing takes more
    // than it needs, ahead of need.
    clock.t = clock.windowStart + WINDOW - 1_000;
    const before: RateLimitResult[] = [];
    for (let i = 0; i < 8; i++) {
      before.push(...(await Promise.all(Array.from({ length: 5 }, () => limiter.check("key_ahead", 100, WINDOW)))));
      await new Promise((resolve) => setTimeout(resolve, 5));
      clock.t += 10;
    }
    expect(allowedCount(before)).toBe(40);
    expect((await windowRows(harness, "key_ahead"))[0].used).toBeGreaterThan(40);

    // Just past the boundary the forty weigh almost fully: about sixty more, not what the
    // leased-ahead tokens would leave.
    clock.t = clock.windowStart + WINDOW + 6;
    const after = await Promise.all(Array.from({ length: 100 }, () => limiter.check("key_ahead", 100, WINDOW)));
    expect(allowedCount(after)).toBe(60);
    const rows = await windowRows(harness, "key_ahead");
    expect(rows.map((row) => row.used)).toEqual([40, 60]);
  });

  it("keeps a small limit exact on one instance with a few queries per window, not one per request", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const { db, stats } = instrument(harness.client());
    const limiter = new RateLimiter(db, { now: clock.now });
    const results: RateLimitResult[] = [];
    for (let i = 0; i < 30; i++) {
      results.push(await limiter.check("key_small", 10, WINDOW));
      clock.t += 100;
    }
    await vi.waitFor(() => expect(stats.inFlight).toBe(0));
    console.log(`one instance, limit 10, 30 checks in a row: ${stats.leases} lease queries`);
    expect(results.map((result) => result.allowed)).toEqual([...Array(10).fill(true), ...Array(20).fill(false)]);
    expect(results.slice(0, 10).map((result) => result.remaining)).toEqual([9, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
    expect(stats.leases).toBeLessThanOrEqual(5);
    expect((await windowRows(harness, "key_small"))[0].used).toBe(10);
  });

  it("admits exactly 100 of 300 checks arriving in small bursts, with exact remaining counts", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const { db, stats } = instrument(harness.client());
    const limiter = new RateLimiter(db, { now: clock.now });
    const random = prng(7);

    const results: RateLimitResult[] = [];
    while (results.length < 300) {
      const burst = Math.min(300 - results.length, 1 + Math.floor(random() * 7));
      results.push(...(await Promise.all(Array.from({ length: burst }, () => limiter.check("key_b", 100, WINDOW)))));
      clock.t += 50;
    }
    console.log(`one instance, limit 100: ${allowedCount(results)} of 300 allowed, ${stats.leases} lease queries`);
    expect(allowedCount(results)).toBe(100);
    expect(results.slice(0, 100).every((result) => result.allowed)).toBe(true);
    expect(results.slice(0, 100).map((result) => result.remaining)).toEqual(Array.from({ length: 100 }, (_, i) => 99 - i));
    expect(results.slice(100).every((result) => !result.allowed && result.remaining === 0)).toBe(true);
    expect(new Set(results.map((result) => result.resetAt))).toEqual(new Set([clock.windowStart + WINDOW]));
    // Leased in slices (5% of 100), not one query per request.
    expect(stats.leases).toBeLessThanOrEqual(30);
    expect((await windowRows(harness, "key_b"))[0].used).toBe(100);
  });

  it("applies a limit changed mid-window without ever handing budget back to the database", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const limiter = new RateLimiter(harness.client(), { now: clock.now });
    let admitted = 0;
    for (let i = 0; i < 10; i++) if ((await limiter.check("key_h", 100, WINDOW)).allowed) admitted++;
    const [{ used: leased }] = await windowRows(harness, "key_h");
    expect(admitted).toBe(10);
    expect(leased).toBeGreaterThan(10);

    // Lowered below what has been leased: nothing more is admitted past the new limit, and the
    // row's count must not go down (a lease computed as negative would give budget back).
    for (let i = 0; i < 10; i++) if ((await limiter.check("key_h", 11, WINDOW)).allowed) admitted++;
    expect(admitted).toBe(11);
    // Another instance, holding nothing, has to ask the database under the lowered limit.
    const other = new RateLimiter(harness.client(), { now: clock.now });
    expect(await other.check("key_h", 11, WINDOW)).toMatchObject({ allowed: false, remaining: 0 });
    expect(await windowRows(harness, "key_h")).toEqual([{ window_start: new Date(clock.windowStart), used: leased, last_grant: 0 }]);

    // Raised again: "spent" was relative to the old limit.
    for (let i = 0; i < 20; i++) if ((await limiter.check("key_h", 25, WINDOW)).allowed) admitted++;
    expect(admitted).toBe(25);
    expect((await windowRows(harness, "key_h"))[0].used).toBe(25);
  });

  it("keeps one key's budget apart from another's", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const limiter = new RateLimiter(harness.client(), { now: clock.now });
    const [a, b] = await Promise.all([
      Promise.all(Array.from({ length: 8 }, () => limiter.check("key_x", 3, WINDOW))),
      Promise.all(Array.from({ length: 8 }, () => limiter.check("key_y", 5, WINDOW))),
    ]);
    expect([allowedCount(a), allowedCount(b)]).toEqual([3, 5]);
  });
});

describe("RateLimiter across instances", () => {
  it("two instances sharing a database stay within 10% of the limit (and in fact never exceed it)", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const one = instrument(harness.client());
    const two = instrument(harness.client());
    const instances = [new RateLimiter(one.db, { now: clock.now }), new RateLimiter(two.db, { now: clock.now })];
    const random = prng(42);

    const perInstance = [0, 0];
    let issued = 0;
    while (issued < 1000) {
      const pending: Promise<void>[] = [];
      const burst = Math.min(1000 - issued, 10 + Math.floor(random() * 60));
      for (let i = 0; i < burst; i++) {
        const which = random() < 0.5 ? 0 : 1;
        pending.push(
          instances[which].check("key_shared", 200, WINDOW).then((result) => {
            if (result.allowed) perInstance[which]++;
          }),
        );
      }
      issued += burst;
      await Promise.all(pending);
    }
    const total = perInstance[0] + perInstance[1];
    const [row] = await windowRows(harness, "key_shared");
    console.log(
      `two instances, limit 200, 1000 checks: ${total} allowed (${perInstance[0]} + ${perInstance[1]}); ` +
        `used in the database ${row.used}; lease queries ${one.stats.leases} + ${two.stats.leases}`,
    );
    expect(total).toBeLessThanOrEqual(200 * 1.1);
    expect(total).toBeGreaterThanOrEqual(200 * 0.9);
    // The leasing design is stricter than the 10% the design allows.
    expect(total).toBeLessThanOrEqual(200);
    expect(row.used).toBeLessThanOrEqual(200);
    expect(perInstance[0]).toBeGreaterThan(0);
    expect(perInstance[1]).toBeGreaterThan(0);
  });

  it("many instances hammering one window at once never lease more than the limit", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const instances = Array.from({ length: 5 }, () => new RateLimiter(harness.client(), { now: clock.now }));
    const results = await Promise.all(Array.from({ length: 600 }, (_, i) => instances[i % instances.length].check("key_many", 97, WINDOW)));
    const [row] = await windowRows(harness, "key_many");
    console.log(`five instances, limit 97, 600 concurrent checks: ${allowedCount(results)} allowed, used ${row.used}`);
    expect(row.used).toBeLessThanOrEqual(97);
    expect(allowedCount(results)).toBeLessThanOrEqual(97);
    expect(allowedCount(results)).toBeGreaterThanOrEqual(Math.ceil(97 * 0.9));
  });
});

describe("RateLimiter leases", () => {
  it("lets concurrent waiters share one lease query, asks only for what they need, and serves them in order", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const { db, stats } = instrument(harness.client(), { leaseDelayMs: 50 });
    const limiter = new RateLimiter(db, { now: clock.now });

    const burst = await Promise.all(Array.from({ length: 40 }, () => limiter.check("key_c", 1000, WINDOW)));
    expect(allowedCount(burst)).toBe(40);
    expect(burst.map((result) => result.remaining)).toEqual(Array.from({ length: 40 }, (_, i) => 999 - i));
    // Forty waiting requests took one query for forty; the next lease, taken ahead while
    // nobody waits, is twice that, not the whole window.
    await vi.waitFor(() => expect(stats.leases).toBe(2));
    await vi.waitFor(() => expect(stats.inFlight).toBe(0));
    expect(await windowRows(harness, "key_c")).toEqual([{ window_start: new Date(clock.windowStart), used: 120, last_grant: 80 }]);
    expect(stats.maxInFlight).toBe(1);
  });

  it("in steady use answers every request from tokens leased ahead, without waiting for the database", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const { db, stats } = instrument(harness.client(), { leaseDelayMs: 20 });
    const limiter = new RateLimiter(db, { now: clock.now });
    const pace = async (i: number) => {
      // Leases in flight get time to land, as they would between requests spread over a window.
      if (i % 10 === 9) await new Promise((resolve) => setTimeout(resolve, 25));
      clock.t += 20;
    };
    // Leases start at what the first request needs and double while demand keeps coming.
    for (let i = 0; i < 50; i++) {
      await limiter.check("key_steady", 1000, WINDOW);
      await pace(i);
    }

    let waited = 0;
    for (let i = 0; i < 500; i++) {
      let settled = false;
      const pending = limiter.check("key_steady", 1000, WINDOW).then((result) => {
        settled = true;
        return result;
      });
      // An answer from held tokens settles within the microtasks of this tick.
      await new Promise((resolve) => setImmediate(resolve));
      if (!settled) waited++;
      expect((await pending).allowed).toBe(true);
      await pace(i);
    }
    console.log(`500 checks at a steady pace, limit 1000: ${waited} waited for a lease, ${stats.leases} lease queries`);
    expect(waited).toBe(0);
  });
});

describe("RateLimiter without its database", () => {
  it("falls back to an exact local count while the database is cut off, and uses it again in the next window", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const target = new URL(harness.url);
    const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    harness.defer(() => proxy.close());
    const proxied = new URL(harness.url);
    proxied.hostname = "127.0.0.1";
    proxied.port = String(proxy.port);
    const { db, stats } = instrument(harness.client(proxied.toString()));
    const limiter = new RateLimiter(db, { now: clock.now });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    onTestFinished(() => warn.mockRestore());

    // Window 0: three admitted through the database, then it goes away mid-window.
    const before = await Promise.all(Array.from({ length: 3 }, () => limiter.check("key_d", 10, WINDOW)));
    expect(allowedCount(before)).toBe(3);
    // The lease taken ahead of need lands before the cut; its tokens are spent first during it.
    await vi.waitFor(() => expect(stats.inFlight).toBe(0));
    const [{ used: leasedBeforeCut }] = await windowRows(harness, "key_d");
    expect(leasedBeforeCut).toBeGreaterThanOrEqual(3);
    await proxy.cut();
    const during = await Promise.allSettled(Array.from({ length: 25 }, () => limiter.check("key_d", 10, WINDOW)));
    expect(during.every((outcome) => outcome.status === "fulfilled")).toBe(true);
    const duringResults = during.map((outcome) => (outcome as PromiseFulfilledResult<RateLimitResult>).value);
    // Exact for the window as a whole: what the instance admitted before the cut counts.
    expect(allowedCount(duringResults)).toBe(7);
    expect(duringResults.slice(0, 7).map((result) => result.remaining)).toEqual([6, 5, 4, 3, 2, 1, 0]);

    // Window 1 starts while the database is still unreachable: the local count slides too, so
    // window 0's ten still count at its start.
    clock.t += WINDOW;
    expect(allowedCount(await Promise.all(Array.from({ length: 5 }, () => limiter.check("key_d", 10, WINDOW))))).toBe(0);
    // Window 2: nothing before it counts any more.
    clock.t += WINDOW;
    const startedAt = performance.now();
    const cutOff = await Promise.allSettled(Array.from({ length: 25 }, () => limiter.check("key_d", 10, WINDOW)));
    const elapsed = performance.now() - startedAt;
    expect(cutOff.every((outcome) => outcome.status === "fulfilled")).toBe(true);
    const cutOffResults = cutOff.map((outcome) => (outcome as PromiseFulfilledResult<RateLimitResult>).value);
    console.log(`database cut off, limit 10, 25 checks: ${allowedCount(cutOffResults)} allowed locally in ${elapsed.toFixed(0)} ms`);
    expect(allowedCount(cutOffResults)).toBe(10);
    expect(cutOffResults.map((result) => result.allowed)).toEqual([...Array(10).fill(true), ...Array(15).fill(false)]);
    expect(cutOffResults[0]).toEqual({ allowed: true, limit: 10, remaining: 9, resetAt: clock.windowStart + 3 * WINDOW });
    expect(warn).toHaveBeenCalled();

    // Back, but the window that went local stays local: its count cannot be merged mid-window.
    await proxy.restore();
    const leasesBefore = stats.leases;
    const sameWindow = await limiter.check("key_d", 10, WINDOW);
    expect(sameWindow.allowed).toBe(false);
    expect(stats.leases).toBe(leasesBefore);

    clock.t += WINDOW;
    const after = await Promise.all(Array.from({ length: 12 }, () => limiter.check("key_d", 10, WINDOW)));
    expect(allowedCount(after)).toBe(10);
    expect(stats.leases).toBeGreaterThan(leasesBefore);
    const rows = await windowRows(harness, "key_d");
    expect(rows.map((row) => [row.window_start.getTime() - clock.windowStart, row.used])).toEqual([
      [0, leasedBeforeCut],
      [3 * WINDOW, 10],
    ]);
  });

  it("treats a database that accepts connections but never answers as unreachable", async () => {
    const silent = net.createServer(() => undefined);
    const sockets = new Set<net.Socket>();
    silent.on("connection", (socket) => {
      sockets.add(socket);
      socket.on("error", () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    onTestFinished(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy();
          silent.close(() => resolve());
        }),
    );
    const port = (silent.address() as net.AddressInfo).port;
    const db = createDb(`postgresql://postgres@127.0.0.1:${port}/nothing`);
    onTestFinished(() => {
      void db.$disconnect().catch(() => undefined);
    });
    const warn = vi.spyOn(console, "warn").mockImplementation(() => undefined);
    onTestFinished(() => warn.mockRestore());
    const clock = testClock();
    const limiter = new RateLimiter(db, { now: clock.now, leaseTimeoutMs: 200 });

    const startedAt = performance.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => limiter.check("key_e", 5, WINDOW)));
    const elapsed = performance.now() - startedAt;
    expect(allowedCount(results)).toBe(5);
    expect(elapsed).toBeLessThan(2_000);

    // Another key's window starting right after the failure goes local without waiting again.
    const second = performance.now();
    expect((await limiter.check("key_f", 5, WINDOW)).allowed).toBe(true);
    expect(performance.now() - second).toBeLessThan(100);
  });

  it("works with no database at all", async () => {
    const clock = testClock();
    const limiter = new RateLimiter(null, { now: clock.now });
    const results = await Promise.all(Array.from({ length: 9 }, () => limiter.check("key_g", 4, WINDOW)));
    expect(allowedCount(results)).toBe(4);
    expect(await limiter.check("key_g", 0, WINDOW)).toMatchObject({ allowed: false, remaining: 0 });
  });
});

describe("RateLimiter housekeeping", () => {
  it("deletes rows whose window ended more than an hour ago, at most once a minute, off the request path", async () => {
    const harness = await freshDatabase();
    const clock = testClock();
    const now = clock.t;
    const minutes = (n: number) => new Date(now - n * 60_000);
    await harness.sql(
      `INSERT INTO api_keys (id, name, start, hash, ratelimit_limit, ratelimit_window_ms, updated_at)
       VALUES ('key_minute', 'm', 'kh_live_a', 'hash-a', 10, 60000, now()),
              ('key_daily', 'd', 'kh_live_b', 'hash-b', 10, 86400000, now())`,
    );
    const rows: [string, Date, boolean][] = [
      ["key_minute", minutes(120), false],
      ["key_minute", minutes(62), false], // ended 61 minutes ago
      ["key_minute", minutes(60), true], // ended 59 minutes ago
      ["key_minute", minutes(30), true],
      ["key_daily", minutes(12 * 60), true], // started long ago but still running
      ["key_daily", minutes(26 * 60), false], // ended two hours ago
      ["unknown", minutes(120), true], // window length unknown: kept until no window could still run
      ["unknown", minutes(30 * 24 * 60), false],
    ];
    for (const [keyId, start] of rows) {
      await harness.sql("INSERT INTO ratelimit_windows (key_id, window_start, used) VALUES ($1, $2, 1)", [keyId, start]);
    }
    const remainingRows = async () =>
      (await harness.sql<{ key_id: string; window_start: Date }>("SELECT key_id, window_start FROM ratelimit_windows"))
        .map((row) => `${row.key_id}@${row.window_start.toISOString()}`)
        .sort();
    const expected = rows.filter(([, , keep]) => keep).map(([keyId, start]) => `${keyId}@${start.toISOString()}`);

    const { db, stats } = instrument(harness.client());
    const limiter = new RateLimiter(db, { now: clock.now });
    expect((await limiter.check("key_live", 5, WINDOW)).allowed).toBe(true);
    // The request did not wait for the cleanup: it is scheduled after the request's own tick.
    await vi.waitFor(async () => expect(stats.deletes).toBe(1));
    await vi.waitFor(async () => expect(await remainingRows()).toEqual([...expected, `key_live@${new Date(clock.windowStart).toISOString()}`].sort()));

    // Another old row appears; half a minute later nothing runs, a minute later it does.
    await harness.sql("INSERT INTO ratelimit_windows (key_id, window_start, used) VALUES ('key_minute', $1, 1)", [minutes(90)]);
    clock.t = now + 30_000;
    await limiter.check("key_live", 5, WINDOW);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stats.deletes).toBe(1);
    clock.t = now + 60_000;
    await limiter.check("key_live", 5, WINDOW);
    await vi.waitFor(async () => expect(stats.deletes).toBe(2));
    await vi.waitFor(async () => expect(await remainingRows()).not.toContain(`key_minute@${minutes(90).toISOString()}`));
    console.log(`cleanup kept ${(await remainingRows()).length} rows, ${stats.deletes} delete statements`);
  });

  it("forgets local state of ended windows", async () => {
    const clock = testClock();
    const limiter = new RateLimiter(null, { now: clock.now });
    for (let i = 0; i < 500; i++) await limiter.check(`key_${i}`, 5, WINDOW);
    const tracked = () => (limiter as unknown as { windows: Map<string, unknown> }).windows.size;
    expect(tracked()).toBe(500);
    clock.t += 2 * WINDOW;
    await limiter.check("key_0", 5, WINDOW);
    expect(tracked()).toBe(1);
  });
});
