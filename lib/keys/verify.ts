import type { Db } from "../db/client";
import type { VerificationCode } from "../errors/error-codes";
import { metrics } from "../observability/metrics";
import type { RateLimitResult } from "../ratelimit/limiter";
import type { KeyCache, CachedKey } from "./cache";
import { parseKey, type KeyEnvironment } from "./format";
import { hashKey } from "./hash";
import { ratelimitOf } from "./ratelimit-of";
import { metaOf } from "./key-meta";

// The hot path of DESIGN.md section 9: format and checksum (no I/O), SHA-256, the in-process
// cache, the database by hash on a miss, then revoked, expired, scopes, rate limit, quota.

export type Verification =
  | { valid: true; key: CachedKey; ratelimit: RateLimitResult | null; remaining: number | null }
  | { valid: false; code: VerificationCode; key: CachedKey | null; ratelimit: RateLimitResult | null };

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
} as const;

export class KeyVerifier {
  // Concurrent misses for one hash share a single query.
  private readonly loading = new Map<string, Promise<CachedKey | null>>();

  constructor(
    private readonly db: Db,
    private readonly cache: KeyCache,
    private readonly limiter: RateLimitChecker,
    private readonly now: () => number = Date.now,
  ) {}

  async verify(candidate: string, requiredScopes: readonly string[] = []): Promise<Verification> {
    if (parseKey(candidate) === null) return invalid("invalid_key", null);
    const hash = hashKey(candidate);

    let key = this.cache.get(hash);
    if (key !== undefined) {
      metrics().keyCacheHits.inc();
    } else {
      metrics().keyCacheMisses.inc();
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

    let ratelimit: RateLimitResult | null = null;
    if (key.ratelimit) {
      ratelimit = await this.limiter.check(key.id, key.ratelimit.limit, key.ratelimit.windowMs);
      if (!ratelimit.allowed) return { valid: false, code: "rate_limited", key, ratelimit };
    }

    let remaining: number | null = null;
    if (key.hasQuota) {
      try {
        remaining = await this.spendQuota(key.id);
      } catch {
        // A quota can only be enforced by the database; without it, refuse rather than overspend.
        return { valid: false, code: "unavailable", key, ratelimit };
      }
      if (remaining === null) return { valid: false, code: "quota_exceeded", key, ratelimit };
    }
    return { valid: true, key, ratelimit, remaining };
  }

  private load(hash: string): Promise<CachedKey | null> {
    let pending = this.loading.get(hash);
    if (!pending) {
      pending = this.fetch(hash).finally(() => this.loading.delete(hash));
      this.loading.set(hash, pending);
    }
    return pending;
  }

  private async fetch(hash: string): Promise<CachedKey | null> {
    const row = await this.db.apiKey.findUnique({ where: { hash }, select: SELECT });
    const record = row ? toRecord(row) : null;
    this.cache.set(hash, record);
    return record;
  }

  /** Remaining quota after spending one, or null when it was already spent. Never below zero. */
  private async spendQuota(keyId: string): Promise<number | null> {
    const rows = await this.db.$queryRaw<{ remaining: number }[]>`
      UPDATE api_keys SET remaining = remaining - 1
      WHERE id = ${keyId} AND remaining > 0
      RETURNING remaining`;
    return rows.length > 0 ? rows[0]!.remaining : null;
  }
}

function invalid(code: VerificationCode, key: CachedKey | null): Verification {
  return { valid: false, code, key, ratelimit: null };
}

type Row = {
  id: string;
  name: string;
  ownerId: string | null;
  environment: KeyEnvironment;
  scopes: string[];
  meta: unknown;
  expiresAt: Date | null;
  revokedAt: Date | null;
  ratelimitLimit: number | null;
  ratelimitWindowMs: number | null;
  remaining: number | null;
};

function toRecord(row: Row): CachedKey {
  return {
    id: row.id,
    name: row.name,
    ownerId: row.ownerId,
    environment: row.environment,
    scopes: row.scopes,
    scopeSet: new Set(row.scopes),
    meta: metaOf(row.meta),
    expiresAt: row.expiresAt?.getTime() ?? null,
    revokedAt: row.revokedAt?.getTime() ?? null,
    ratelimit: ratelimitOf(row),
    hasQuota: row.remaining !== null,
  };
}
