import { withTimeout } from "../async/with-timeout";
import type { Db } from "../db/client";
import { leaseCredits, returnCredits, type LeaseAnswer } from "./lease-credits";
import { nextRefillAt, refillPeriodStart, type Refill } from "./refill-period";

// Quotas off the hot path (DESIGN.md section 15.3). Each instance leases credits from the key's
// `remaining` in batches and spends them in memory, so a quota key costs no database write per
// request; the database stays the only authority, so instances together never spend more than
// it held. `remaining` in the key record is low by what is leased and not yet spent; leases go
// back on shutdown. A refill is due at the first lease after a period starts, and credits leased
// in an earlier period (or under a quota since set anew) are void.

export interface QuotaKey {
  id: string;
  refill: Refill | null;
  /** Epoch ms at which the key's quota was last set (create, PATCH, refill). */
  quotaResetAt: number;
}

export type QuotaSpend = { ok: true; remaining: number | null } | { ok: false; code: "quota_exceeded" | "unavailable" };

export interface QuotaLeasesOptions {
  now?: () => number;
  /** A lease slower than this counts as failed, so a hung database cannot stall requests. */
  leaseTimeoutMs?: number;
  /** After a failed lease, requests that need one are refused for this long without trying. */
  dbRetryMs?: number;
}

// A lease asks for what the waiting requests need, or for what this instance spent in the last
// AHEAD_MS at the rate it has been spending since its last lease, whichever is more, within
// this share of what the key has left: a key used now and then leases only what it spends.
const SHARE = 0.05;
const MAX_BATCH = 50_000;
const AHEAD_MS = 1_000;
// How long "the database does not hold enough" stands without asking again: credits another
// instance returns, or a PATCH that did not reach this instance's cache, show up within it.
const RECHECK_MS = 1_000;
const SWEEP_EVERY_MS = 60_000;

interface Waiter {
  cost: number;
  resolve: (answer: QuotaSpend) => void;
}

interface QuotaState {
  key: QuotaKey;
  /** quota_reset_at of the setting the held credits were leased under. */
  generation: number;
  /** Refill keys: held credits are void from here on. Infinity without a refill. */
  periodEnd: number;
  tokens: number;
  /** The key's remaining in the database after this instance's last lease. */
  dbRemaining: number;
  checkedAt: number;
  /** Credits spent here since the last lease answered: the demand its successor is sized by. */
  spentSinceLease: number;
  lastWant: number;
  leasing: boolean;
  waiters: Waiter[];
}

export class QuotaLeases {
  private readonly now: () => number;
  private readonly leaseTimeoutMs: number;
  private readonly dbRetryMs: number;
  private readonly states = new Map<string, QuotaState>();
  private dbDownUntil = -Infinity;
  /** Leases asked for, and uses that had to wait for one: what `npm run bench:policies` reports. */
  readonly stats = { leases: 0, waited: 0 };
  private lastSweep = -Infinity;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    options: QuotaLeasesOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    // Unlike the rate limiter, a failed quota lease refuses the request (503): the timeout
    // must outlast a busy machine's slow answer, or load alone turns into refusals.
    this.leaseTimeoutMs = options.leaseTimeoutMs ?? 3_000;
    this.dbRetryMs = options.dbRetryMs ?? 1_000;
  }

  /**
   * Spends `cost` credits of the key's quota, all or nothing; never below zero across instances.
   * Answered synchronously from held credits, so the common case costs no promise.
   */
  spend(key: QuotaKey, cost: number, now = this.now()): QuotaSpend | Promise<QuotaSpend> {
    if (now - this.lastSweep >= SWEEP_EVERY_MS) this.sweep(now);
    const state = this.stateFor(key, now);
    if (state.waiters.length === 0) {
      const immediate = this.tryAnswer(state, cost, now);
      if (immediate) {
        if (immediate.ok) this.leaseAhead(state, now);
        return immediate;
      }
    }
    this.stats.waited++;
    return new Promise<QuotaSpend>((resolve) => {
      state.waiters.push({ cost, resolve });
      this.pump(state);
    });
  }

  /** Credits leased and not yet spent, for tests and the shutdown report. */
  held(keyId: string): number {
    return this.states.get(keyId)?.tokens ?? 0;
  }

  /** Resolves once no lease is in flight: its credits are then held here or were never taken. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Gives every held credit back to its key, unless the quota was set anew since it was leased
   * (then it no longer belongs to anyone). Called on shutdown, after leases in flight have
   * answered; spending afterwards leases again.
   */
  async returnAll(): Promise<number> {
    await this.settled();
    const now = this.now();
    let returned = 0;
    for (const state of this.states.values()) {
      const tokens = state.tokens;
      state.tokens = 0;
      if (tokens <= 0 || now >= state.periodEnd) continue;
      returned += await returnCredits(this.db, state.key.id, tokens, state.generation);
    }
    return returned;
  }

  private track(lease: Promise<void>): void {
    this.inFlight.add(lease);
    void lease.finally(() => this.inFlight.delete(lease));
  }

  // Keys that stopped being used would otherwise keep their state forever; held credits stay.
  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [keyId, state] of this.states) {
      if (state.tokens === 0 && !state.leasing && state.waiters.length === 0 && now - state.checkedAt >= SWEEP_EVERY_MS) this.states.delete(keyId);
    }
  }

  private stateFor(key: QuotaKey, now: number): QuotaState {
    let state = this.states.get(key.id);
    if (!state) {
      state = {
        key,
        generation: key.quotaResetAt,
        periodEnd: -Infinity,
        tokens: 0,
        dbRemaining: 0,
        checkedAt: -Infinity,
        spentSinceLease: 0,
        lastWant: 0,
        leasing: false,
        waiters: [],
      };
      this.states.set(key.id, state);
      return state;
    }
    // The same cached record as last time: nothing about the key changed but the clock.
    if (key === state.key) {
      if (now >= state.periodEnd) this.void(state);
      return state;
    }
    if (key.quotaResetAt > state.generation) {
      // The quota was set since these credits were leased: what the key has is the new value.
      this.void(state);
      state.generation = key.quotaResetAt;
    }
    if (key.refill?.interval !== state.key.refill?.interval || key.refill?.amount !== state.key.refill?.amount) state.periodEnd = -Infinity;
    state.key = key;
    if (now >= state.periodEnd) this.void(state);
    return state;
  }

  private void(state: QuotaState): void {
    state.tokens = 0;
    state.checkedAt = -Infinity;
  }

  /** An answer without I/O when there is one: held credits, or a recent "not enough". */
  private tryAnswer(state: QuotaState, cost: number, now: number): QuotaSpend | null {
    if (state.tokens >= cost) return this.take(state, cost);
    if (now - state.checkedAt < RECHECK_MS && state.tokens + state.dbRemaining < cost) return { ok: false, code: "quota_exceeded" };
    if (now < this.dbDownUntil) return { ok: false, code: "unavailable" };
    return null;
  }

  // Under steady demand the next batch is leased while half of this one is left, so requests
  // do not wait for the database in steady state.
  private leaseAhead(state: QuotaState, now: number): void {
    if (state.leasing || state.lastWant <= 1 || state.tokens * 2 >= state.lastWant || state.dbRemaining <= 0 || now < this.dbDownUntil) return;
    state.leasing = true;
    this.track(this.lease(state));
  }

  private pump(state: QuotaState): void {
    if (state.leasing) return;
    const now = this.now();
    while (state.waiters.length > 0) {
      const answer = this.tryAnswer(state, state.waiters[0]!.cost, now);
      if (!answer) break;
      state.waiters.shift()!.resolve(answer);
    }
    if (state.waiters.length === 0) return;
    state.leasing = true;
    this.track(this.lease(state));
  }

  private async lease(state: QuotaState): Promise<void> {
    // Requests arriving in the same tick join this lease: a burst costs one query.
    await Promise.resolve();
    this.stats.leases++;
    const now = this.now();
    // A lease ahead of demand has no waiter: it asks for at least one credit.
    const least = Math.max(1, (state.waiters[0]?.cost ?? 1) - state.tokens);
    const demand = state.waiters.reduce((sum, waiter) => sum + waiter.cost, 0) - state.tokens;
    const rate = state.spentSinceLease / Math.max(1, now - state.checkedAt);
    const extra = Math.min(Math.ceil(rate * AHEAD_MS), MAX_BATCH, Math.max(1, Math.floor(state.dbRemaining * SHARE)));
    const want = Math.max(least, demand, extra);
    const refill = state.key.refill;
    const refillFrom = refill && now >= state.periodEnd ? refillPeriodStart(refill.interval, now) : null;

    let answer: LeaseAnswer | null | undefined;
    try {
      answer = await withTimeout(leaseCredits(this.db, { keyId: state.key.id, least, want, refillFrom, now }), this.leaseTimeoutMs);
    } catch {
      // Held credits may still be spent; beyond them the quota cannot be checked: fail closed.
      this.dbDownUntil = this.now() + this.dbRetryMs;
    }
    state.leasing = false;
    if (answer === undefined) {
      for (const waiter of state.waiters.splice(0)) {
        waiter.resolve(state.tokens >= waiter.cost ? this.take(state, waiter.cost) : { ok: false, code: "unavailable" });
      }
      return;
    }
    if (answer === null) {
      // The quota was removed since the key was cached; its change notification follows.
      for (const waiter of state.waiters.splice(0)) waiter.resolve({ ok: true, remaining: null });
      return;
    }
    if (answer.quotaResetAt > state.generation) {
      state.tokens = 0;
      state.generation = answer.quotaResetAt;
    }
    state.tokens += answer.granted;
    state.dbRemaining = answer.remaining;
    state.checkedAt = now;
    state.spentSinceLease = 0;
    state.lastWant = want;
    state.periodEnd = refill ? nextRefillAt(refill.interval, now) : Infinity;
    this.pump(state);
  }

  private take(state: QuotaState, cost: number): QuotaSpend {
    state.tokens -= cost;
    state.spentSinceLease += cost;
    return { ok: true, remaining: state.dbRemaining + state.tokens };
  }
}
