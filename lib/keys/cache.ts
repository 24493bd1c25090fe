import { env } from "../env";
import type { IpAllowlist } from "../net/ip-allowlist";
import { processSingleton } from "../process/process-singleton";
import type { Refill } from "../quota/refill-period";
import type { KeyEnvironment } from "./format";

// What the hot path needs to know about a key, kept in process memory by hash.

export interface CachedKey {
  id: string;
  name: string;
  ownerId: string | null;
  environment: KeyEnvironment;
  scopes: readonly string[];
  scopeSet: ReadonlySet<string>;
  meta: Record<string, unknown>;
  expiresAt: number | null;
  revokedAt: number | null;
  ratelimit: { limit: number; windowMs: number } | null;
  // Only whether a quota exists is cached; its credits are leased from the database
  // (lib/quota/quota-leases.ts), which holds the value.
  hasQuota: boolean;
  refill: Refill | null;
  /** Epoch ms at which the quota was last set: credits leased before it are void. */
  quotaResetAt: number;
  /** Compiled once per fill; null when the key may be used from any address. */
  ipAllowlist: IpAllowlist | null;
}

interface Entry {
  record: CachedKey;
  storedAt: number;
  /** When a hit should start a background reload; pushed forward each time one starts. */
  refreshAt: number;
}

// Entries live at most 30 s (DESIGN.md section 9): the bound on how long a key keeps working
// while the database is unreachable, and on staleness if a change notification is missed.
export const KEY_CACHE_TTL_MS = 30_000;
// A hit on an entry this old reloads it in the background, so a key in steady use is reloaded
// before it expires and its requests never wait for the database.
const REFRESH_AFTER_FRACTION = 2 / 3;
// A reload that failed (database down) is retried by a hit this much later, not by every hit.
const REFRESH_RETRY_MS = 1_000;

export interface KeyCacheOptions {
  maxEntries?: number;
  /** Hashes known not to be keys are kept apart and bounded on their own, so a flood of random
   * well-formed keys evicts only other unknown hashes, never a real key's entry. */
  maxUnknown?: number;
}

export class KeyCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();
  // Hash -> when it was found not to exist.
  private readonly unknown = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxUnknown: number;
  private currentGeneration = 0;

  constructor(
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
    options: KeyCacheOptions = {},
  ) {
    this.maxEntries = options.maxEntries ?? 100_000;
    this.maxUnknown = options.maxUnknown ?? 10_000;
  }

  /**
   * Advances on every eviction and clear. A fill that read the database at an older generation
   * may have read a row from before the change that caused the eviction; set() refuses it.
   */
  get generation(): number {
    return this.currentGeneration;
  }

  /** The record (null: known not to exist) if fresh; undefined when absent or too old. */
  get(hash: string): CachedKey | null | undefined {
    const entry = this.byHash.get(hash);
    if (entry) {
      if (this.now() - entry.storedAt < this.ttlMs) return entry.record;
      this.delete(hash, entry);
      return undefined;
    }
    const seenAt = this.unknown.get(hash);
    if (seenAt === undefined) return undefined;
    if (this.now() - seenAt < this.ttlMs) return null;
    this.unknown.delete(hash);
    return undefined;
  }

  /** True once per refresh period of a real key's entry: the caller should reload it now. */
  refreshDue(hash: string): boolean {
    const entry = this.byHash.get(hash);
    if (!entry) return false;
    const now = this.now();
    if (now < entry.refreshAt) return false;
    entry.refreshAt = now + REFRESH_RETRY_MS;
    return true;
  }

  /**
   * Stores what the database said about a hash. With `readAt` (the generation when the read
   * began), a fill that an eviction overtook is dropped: returns false and stores nothing.
   */
  set(hash: string, record: CachedKey | null, readAt?: number): boolean {
    if (readAt !== undefined && readAt !== this.currentGeneration) return false;
    const now = this.now();
    if (record === null) {
      this.delete(hash, this.byHash.get(hash));
      this.unknown.delete(hash);
      if (this.unknown.size >= this.maxUnknown) {
        // Maps iterate in insertion order, so the first entry is the oldest.
        const oldest = this.unknown.keys().next().value;
        if (oldest !== undefined) this.unknown.delete(oldest);
      }
      this.unknown.set(hash, now);
      return true;
    }
    this.unknown.delete(hash);
    const previous = this.byHash.get(hash);
    if (previous) {
      this.delete(hash, previous);
    } else if (this.byHash.size >= this.maxEntries) {
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.delete(oldest, this.byHash.get(oldest));
    }
    this.byHash.set(hash, { record, storedAt: now, refreshAt: now + this.ttlMs * REFRESH_AFTER_FRACTION });
    this.hashById.set(record.id, hash);
    return true;
  }

  evictById(id: string): void {
    // Even when nothing is cached: a fill of this key may be reading right now.
    this.currentGeneration++;
    const hash = this.hashById.get(id);
    if (hash !== undefined) this.delete(hash, this.byHash.get(hash));
  }

  clear(): void {
    this.currentGeneration++;
    this.byHash.clear();
    this.hashById.clear();
    this.unknown.clear();
  }

  get size(): number {
    return this.byHash.size + this.unknown.size;
  }

  private delete(hash: string, entry: Entry | undefined): void {
    this.byHash.delete(hash);
    if (entry && this.hashById.get(entry.record.id) === hash) this.hashById.delete(entry.record.id);
  }
}

// One cache per process, shared by the verifier (in Next's bundle) and the key service, which
// may be loaded as a separate module copy.
export function sharedKeyCache(): KeyCache {
  return processSingleton("keyholdKeyCache", () => new KeyCache(KEY_CACHE_TTL_MS, Date.now, { maxEntries: env().KEYHOLD_KEY_CACHE_MAX_ENTRIES }));
}
