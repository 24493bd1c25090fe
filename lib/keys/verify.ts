import type { Db } from "../db/client";
import type { VerificationCode } from "../errors/error-codes";
import { IpAllowlist } from "../net/ip-allowlist";
import { metrics } from "../observability/metrics";
import { QuotaLeases } from "../quota/quota-leases";
import type { RateLimitResult } from "../ratelimit/limiter";
import type { CachedKey, KeyCache } from "./cache";
import { parseKey } from "./format";
import { hashKey } from "./hash";
import { ratelimitOf } from "./ratelimit-of";
import { refillOf } from "./refill-of";

// The hot path of DESIGN.md section 9: format and checksum (no I/O), SHA-256, the in-process
// cache, the database by hash on a miss, then revoked, expired, scopes, client address, rate
// limit, quota. A refused address spends nothing (DESIGN.md section 15.4).

// Why a key is refused: the codes of stage "verification" in the one outcome table.
export type { VerificationCode };

export type Verification =
  | { valid: true; key: CachedKey; ratelimit: RateLimitResult | null; remaining: number | null }
  | { valid: false; code: VerificationCode; key: CachedKey | null; ratelimit: RateLimitResult | null };

export interface VerifyOptions {
  /** The address the key is presented from; a key with an allowlist refuses any other, and none. */
  ip?: string | null;
  /** Credits this use spends from the key's quota, 1 to 1000 (default 1). */
  cost?: number;
}

export interface RateLimitChecker {
  check(keyId: string, limit: number, windowMs: number): Promise<RateLimitResult>;
}

const SELECT = {
  id: true,
  name: true,
  ownerId: true,
  environment: true,
  scopes: true,
  meta: true,
  expiresAt: true,
  revokedAt: true,
  ratelimitLimit: true,
  ratelimitWindowMs: true,
  remaining: true,
  refillInterval: true,
  refillAmount: true,
  quotaResetAt: true,
  ipAllowlist: true,
} as const;

export class KeyVerifier {
  // Concurrent misses for one hash share a single query.
  private readonly loading = new Map<string, { promise: Promise<CachedKey | null>; generation: number }>();
  /** This instance's quota credits; hand them back with `quota.returnAll()` on shutdown. */
  readonly quota: QuotaLeases;

  constructor(
    private readonly db: Db,
    private readonly cache: KeyCache,
    private readonly limiter: RateLimitChecker,
    private readonly now: () => number = Date.now,
  ) {
    this.quota = new QuotaLeases(db, { now });
  }

  async verify(candidate: string, requiredScopes: readonly string[] = [], options: VerifyOptions = {}): Promise<Verification> {
    if (parseKey(candidate) === null) return invalid("invalid_key", null);
    const hash = hashKey(candidate);

    let key = this.cache.get(hash);
    if (key !== undefined) {
      metrics().countCacheHit();
      // A failed reload leaves the entry as it was, to serve until its TTL ends.
      if (key !== null && this.cache.refreshDue(hash)) this.load(hash).catch(() => undefined);
    } else {
      metrics().countCacheMiss();
      try {
        key = await this.load(hash);
      } catch {
        return invalid("unavailable", null);
      }
    }
    if (key === null) return invalid("invalid_key", null);

    const now = this.now();
    if (key.revokedAt !== null) return invalid("revoked_key", key);
    if (key.expiresAt !== null && key.expiresAt <= now) return invalid("expired_key", key);
    for (const scope of requiredScopes) {
      if (!key.scopeSet.has(scope)) return invalid("insufficient_scope", key);
    }
    if (key.ipAllowlist !== null && !key.ipAllowlist.allows(options.ip)) return invalid("ip_not_allowed", key);

    let ratelimit: RateLimitResult | null = null;
    if (key.ratelimit) {
      ratelimit = await this.limiter.check(key.id, key.ratelimit.limit, key.ratelimit.windowMs);
      if (!ratelimit.allowed) return { valid: false, code: "rate_limited", key, ratelimit };
    }

    let remaining: number | null = null;
    if (key.hasQuota) {
      const pending = this.quota.spend(key, options.cost ?? 1, now);
      const spent = pending instanceof Promise ? await pending : pending;
      if (!spent.ok) return { valid: false, code: spent.code, key, ratelimit };
      remaining = spent.remaining;
    }
    return { valid: true, key, ratelimit, remaining };
  }

  private load(hash: string): Promise<CachedKey | null> {
    const generation = this.cache.generation;
    const pending = this.loading.get(hash);
    // A read that began before an eviction may hold the row from before the change: later
    // requests must not share it, they read again.
    if (pending && pending.generation === generation) return pending.promise;
    const promise = this.fetch(hash, generation).finally(() => {
      if (this.loading.get(hash)?.promise === promise) this.loading.delete(hash);
    });
    this.loading.set(hash, { promise, generation });
    return promise;
  }

  private async fetch(hash: string, generation: number): Promise<CachedKey | null> {
    const row = await this.db.apiKey.findUnique({ where: { hash }, select: SELECT });
    const record = row ? toRecord(row) : null;
    // Refused when an eviction ran since the read began (DESIGN.md section 15.7): storing it
    // could bring a revoked key back for a whole TTL. This request still gets the row it read.
    this.cache.set(hash, record, generation);
    return record;
  }
}

function invalid(code: VerificationCode, key: CachedKey | null): Verification {
  return { valid: false, code, key, ratelimit: null };
}

type Row = {
  id: string;
  name: string;
  ownerId: string | null;
  environment: "live" | "test";
  scopes: string[];
  meta: unknown;
  expiresAt: Date | null;
  revokedAt: Date | null;
  ratelimitLimit: number | null;
  ratelimitWindowMs: number | null;
  remaining: number | null;
  refillInterval: "daily" | "monthly" | null;
  refillAmount: number | null;
  quotaResetAt: Date;
  ipAllowlist: string[];
};

function toRecord(row: Row): CachedKey {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.ownerId,
    environment: row.environment,
    scopes: row.scopes,
    scopeSet: new Set(row.scopes),
    meta: row.meta !== null && typeof row.meta === "object" && !Array.isArray(row.meta) ? (row.meta as Record<string, unknown>) : {},
    expiresAt: row.expiresAt?.getTime() ?? null,
    revokedAt: row.revokedAt?.getTime() ?? null,
    ratelimit: ratelimitOf(row),
    hasQuota: row.remaining !== null,
    refill: refillOf(row),
    quotaResetAt: row.quotaResetAt.getTime(),
    ipAllowlist: row.ipAllowlist.length > 0 ? new IpAllowlist(row.ipAllowlist) : null,
  };
}
