import { TimeoutError, withTimeout } from "../async/with-timeout";
import { getDb, type Db } from "../db/client";
import { INT4_MAX } from "../db/int4";
import { deleteEndedWindows } from "./delete-ended-windows";
import { leaseWindow, type LeaseAnswer } from "./lease-window";

// Per-key sliding-window rate limits (DESIGN.md section 9), approximated the way Cloudflare and
// others do it: a request is admitted while previous × (1 − progress) + current < limit, where
// current and previous are the counts of the epoch-aligned fixed windows now and before. So a
// burst at the end of one window still counts at the start of the next (no double burst), and
// every instance agrees on where windows start without talking to the others.
// The budget of a window lives in ratelimit_windows; instances lease it in slices, so the hot
// path is a local decrement, and together they can never admit more than the limit (stricter
// than the 10% the design allows). A lease is taken ahead of need while tokens remain, so in
// steady use no request waits for one; an instance that is the only one leasing a window gets
// growing leases, so small limits cost a few queries per window, not one per request. Tokens
// still held when a window ends go back to its row with the next window's first lease: the
// sliding weight must count what was admitted, not what was leased ahead. When the
// database cannot be reached the window falls back to an exact per-instance counter, because a
// key that is fresh in the cache must keep working (section 9).
// Over 300 lines on purpose: window state, admission, leasing and the local fallback share one
// state machine whose invariants (never past the limit, answers in arrival order) only hold
// together; the SQL lives apart (lease-window.ts, delete-ended-windows.ts).

export interface RateLimitResult {
  allowed: boolean;
  limit: number;
  /** Left in this window as far as this instance knows; for the RateLimit-Remaining header. */
  remaining: number;
  /** Epoch ms at which the window ends; when denied, at which a request can next be admitted. */
  resetAt: number;
}

export interface RateLimiterOptions {
  now?: () => number;
  /** A lease slower than this is treated as a failed one, so a hung database cannot stall requests. */
  leaseTimeoutMs?: number;
  /** After a failed lease, windows that start within this long go local without trying the database. */
  dbRetryMs?: number;
}

const SLICE_FRACTION = 0.05;
const CLEANUP_EVERY_MS = 60_000;
const SWEEP_EVERY_MS = 10_000;

type Resolve = (result: RateLimitResult) => void;

interface WindowState {
  keyId: string;
  windowMs: number;
  windowStart: number;
  resetAt: number;
  limit: number;
  /** "shared" leases from the database; "local" counts on this instance only, until the window ends. */
  mode: "shared" | "local";
  /** The previous fixed window's count (every instance's leases; local: this instance's admissions). */
  prevUsed: number;
  /** Leased from the database and not yet handed out. */
  tokens: number;
  /** Leased by this instance in this window: when it equals globalUsed, nobody else is leasing. */
  leased: number;
  /** Tokens of the previous window this instance held unspent, to give back with the next lease. */
  unspentPrev: number;
  /** `used` from the last lease answer: everything leased by every instance so far. */
  globalUsed: number;
  /** Admitted by this instance in this window, whichever mode; the local fallback continues from it. */
  admitted: number;
  /** The database said no more budget until then: deny without asking again before it. */
  exhaustedUntil: number;
  lastRequest: number;
  lastGrant: number;
  leasing: boolean;
  /** Requests waiting for a lease, oldest first. */
  waiters: Resolve[];
}

export class RateLimiter {
  private readonly db: Db | null;
  private readonly now: () => number;
  private readonly leaseTimeoutMs: number;
  private readonly dbRetryMs: number;
  // One entry per key: a key is only ever in one window at a time, so a new window replaces the
  // old entry and memory is bounded by the number of active keys.
  private readonly windows = new Map<string, WindowState>();
  private dbDownUntil = -Infinity;
  private dbFailing = false;
  private lastSweep = -Infinity;
  private lastCleanup = -Infinity;
  private cleaning: Promise<number> | null = null;

  constructor(db: Db | null, options: RateLimiterOptions = {}) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.leaseTimeoutMs = options.leaseTimeoutMs ?? 1_000;
    this.dbRetryMs = options.dbRetryMs ?? 1_000;
  }

  check(keyId: string, limit: number, windowMs: number): Promise<RateLimitResult> {
    const now = this.now();
    try {
      this.maintain(now);
      // A limit or window that is not a positive number cannot admit anything; denying is the
      // safe reading, and throwing would break the "never throw" contract of the verify path.
      if (!(limit >= 1) || !(windowMs >= 1)) {
        const safeLimit = Number.isFinite(limit) ? Math.max(0, Math.floor(limit)) : 0;
        return Promise.resolve({ allowed: false, limit: safeLimit, remaining: 0, resetAt: now });
      }
      const lim = Math.min(INT4_MAX, Math.floor(limit));
      const ms = Math.min(INT4_MAX, Math.floor(windowMs));
      const state = this.stateFor(keyId, lim, ms, now);
      // Waiters go first: a newcomer must not take a token ahead of requests already queued.
      if (state.waiters.length === 0) {
        const immediate = this.tryAdmit(state, now);
        if (immediate) {
          this.leaseAhead(state);
          return Promise.resolve(immediate);
        }
      }
      return new Promise<RateLimitResult>((resolve) => {
        state.waiters.push(resolve);
        this.pump(state);
      });
    } catch (error) {
      // Only a bug in this file gets here; a request should still get an answer, and one
      // limited to nothing is the answer that cannot be abused.
      console.error("rate limiter failed:", error instanceof Error ? error.message : error);
      return Promise.resolve({ allowed: false, limit, remaining: 0, resetAt: now });
    }
  }

  /** Deletes windows that ended long ago (deleteEndedWindows), one run at a time. */
  cleanup(): Promise<number> {
    if (!this.db) return Promise.resolve(0);
    this.cleaning ??= deleteEndedWindows(this.db, this.now()).finally(() => {
      this.cleaning = null;
    });
    return this.cleaning;
  }

  private maintain(now: number): void {
    if (now - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now;
      // Keys that stopped sending requests would otherwise keep their last window forever.
      // Waiters of a dropped state still hold it and are answered when its lease returns.
      // A window is kept one window past its end: the next one weighs its count.
      for (const [keyId, state] of this.windows) {
        if (state.resetAt + state.windowMs <= now) this.windows.delete(keyId);
      }
    }
    if (this.db && now - this.lastCleanup >= CLEANUP_EVERY_MS) {
      this.lastCleanup = now;
      // Off the request's own tick: the request that happens to trigger it must not wait for it.
      setImmediate(() => {
        this.cleanup().catch(() => undefined);
      });
    }
  }

  private stateFor(keyId: string, limit: number, windowMs: number, now: number): WindowState {
    const windowStart = Math.floor(now / windowMs) * windowMs;
    let state = this.windows.get(keyId);
    if (!state || state.windowStart !== windowStart || state.windowMs !== windowMs) {
      const previous = state && state.windowMs === windowMs && state.windowStart === windowStart - windowMs ? state : null;
      const unspentPrev = previous?.mode === "shared" ? previous.tokens : 0;
      state = {
        keyId,
        windowMs,
        windowStart,
        resetAt: windowStart + windowMs,
        limit,
        mode: this.db && now >= this.dbDownUntil ? "shared" : "local",
        // Until a lease answers with the database's count, what this instance saw of the last window.
        prevUsed: previous ? (previous.mode === "shared" ? previous.globalUsed - unspentPrev : previous.admitted) : 0,
        tokens: 0,
        leased: 0,
        unspentPrev,
        globalUsed: 0,
        admitted: 0,
        exhaustedUntil: -Infinity,
        lastRequest: 0,
        lastGrant: 0,
        leasing: false,
        waiters: [],
      };
      this.windows.set(keyId, state);
    } else if (state.limit !== limit) {
      // The key's limit was changed mid-window; "spent" meant spent under the old one. Held
      // tokens are kept (tryAdmit will not use them past a lowered limit) so that raising the
      // limit again does not lose them.
      state.limit = limit;
      state.exhaustedUntil = -Infinity;
    }
    return state;
  }

  /** What the window admits in total at `now`: the limit less the previous window's weighted count. */
  private capacity(state: WindowState, now: number): number {
    const weight = Math.max(0, 1 - (now - state.windowStart) / state.windowMs);
    return Math.floor(state.limit - state.prevUsed * weight);
  }

  /** Answers without I/O when it can: a held token, the local counter, or a spent window. */
  private tryAdmit(state: WindowState, now: number): RateLimitResult | null {
    const capacity = this.capacity(state, now);
    if (state.mode === "local") {
      if (state.admitted < capacity) {
        state.admitted++;
        return this.result(state, true, capacity);
      }
      return this.result(state, false, capacity);
    }
    if (state.tokens > 0) {
      // Leased by anyone but not held here: only a limit lowered mid-window brings it to the
      // capacity while tokens are still held, and then no lease could help either.
      if (state.globalUsed - state.tokens >= capacity) return this.result(state, false, capacity);
      state.tokens--;
      state.admitted++;
      return this.result(state, true, capacity);
    }
    if (now < state.exhaustedUntil) return this.result(state, false, capacity);
    return null;
  }

  private result(state: WindowState, allowed: boolean, capacity: number): RateLimitResult {
    const remaining =
      state.mode === "local"
        ? capacity - state.admitted
        : // What nobody has leased yet, plus what this instance holds and has not handed out.
          capacity - state.globalUsed + state.tokens;
    const resetAt = allowed ? state.resetAt : Math.min(state.resetAt, Math.max(this.now(), this.nextCapacityAt(state)));
    return { allowed, limit: state.limit, remaining: Math.max(0, remaining), resetAt };
  }

  /** When the window's capacity next exceeds what has been taken of it (the previous count fades). */
  private nextCapacityAt(state: WindowState): number {
    const used = state.mode === "local" ? state.admitted : state.globalUsed;
    if (state.prevUsed <= 0) return state.resetAt;
    // limit − prevUsed × (1 − progress) ≥ used + 1, solved for progress.
    const progress = 1 - (state.limit - used - 1) / state.prevUsed;
    return Math.ceil(state.windowStart + Math.max(0, progress) * state.windowMs);
  }

  /** Answers queued requests in order as far as possible, then starts a lease if some remain. */
  private pump(state: WindowState): void {
    if (state.leasing) return;
    const now = this.now();
    while (state.waiters.length > 0) {
      const answer = this.tryAdmit(state, now);
      if (!answer) break;
      state.waiters.shift()!(answer);
    }
    if (state.waiters.length === 0) {
      this.leaseAhead(state);
      return;
    }
    state.leasing = true;
    void this.lease(state);
  }

  /** Leases the next slice while half of the last one is still held, so nobody waits for it. */
  private leaseAhead(state: WindowState): void {
    if (state.mode !== "shared" || state.leasing || state.tokens * 2 > state.lastGrant) return;
    if (this.now() < state.exhaustedUntil || this.windows.get(state.keyId) !== state) return;
    state.leasing = true;
    void this.lease(state);
  }

  private async lease(state: WindowState): Promise<void> {
    // Requests issued in the same tick as the one that started the lease join it, so a burst
    // costs one query, not one per request.
    await Promise.resolve();
    // Ask for what the queue needs, growing while demand keeps coming: an instance that sees
    // one request per window should not sit on budget that another, busier instance then
    // cannot get. Shared windows cap a lease at the slice; the database lifts the cap for an
    // instance that is the only one leasing (see leaseQuery).
    const want = Math.max(1, state.waiters.length, state.lastRequest * 2);
    state.lastRequest = want;
    const now = this.now();
    let answer: LeaseAnswer | null = null;
    try {
      answer = await this.leaseQuery(state, want, now);
      if (this.dbFailing) {
        this.dbFailing = false;
        console.warn("rate limiter: database reachable again; new windows share their budget");
      }
    } catch (error) {
      if (!this.dbFailing) {
        this.dbFailing = true;
        const reason = error instanceof TimeoutError ? "timed out" : error instanceof Error ? error.message : String(error);
        console.warn(`rate limiter: lease failed (${reason}); limits are per instance until the database answers`);
      }
      this.dbDownUntil = this.now() + this.dbRetryMs;
    }
    state.leasing = false;
    if (answer) {
      state.globalUsed = answer.used;
      state.prevUsed = answer.prevUsed;
      const grant = Math.max(0, answer.grant);
      state.tokens += grant;
      state.leased += grant;
      state.lastGrant = grant;
      // Everything the window can give now is leased: ask again only once the previous
      // window's count has faded enough to free another request.
      if (grant === 0 || answer.used >= this.capacity(state, now)) state.exhaustedUntil = this.nextCapacityAt(state);
    } else {
      // Only this window: the next one tries the database again, and in the meantime this
      // instance admits no more than the limit in total, counting what it admitted before.
      state.mode = "local";
      state.tokens = 0;
    }
    this.pump(state);
  }

  private leaseQuery(state: WindowState, want: number, now: number): Promise<LeaseAnswer> {
    if (!this.db) return Promise.reject(new Error("no database"));
    const slice = Math.max(1, Math.floor(state.limit * SLICE_FRACTION));
    const query = leaseWindow(this.db, {
      keyId: state.keyId,
      windowStart: state.windowStart,
      windowMs: state.windowMs,
      weight: Math.max(0, 1 - (now - state.windowStart) / state.windowMs),
      limit: state.limit,
      shared: Math.min(slice, want),
      sole: Math.min(INT4_MAX, want),
      mine: state.leased,
      giveBack: state.unspentPrev,
    });
    // Given back once: a lease that fails or times out may still have done it, and handing
    // the tokens back twice would let the previous window's count fall below what it admitted.
    state.unspentPrev = 0;
    return withTimeout(query, this.leaseTimeoutMs);
  }
}

const holder = globalThis as unknown as { keyholdRateLimiter?: RateLimiter };

/** The process's limiter; on globalThis so the server and Next's bundles share one budget. */
export function getRateLimiter(): RateLimiter {
  holder.keyholdRateLimiter ??= new RateLimiter(getDb());
  return holder.keyholdRateLimiter;
}
