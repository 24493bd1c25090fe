import type { KeyEnvironment } from "./format";
import { processSingleton } from "../process/process-singleton";

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
  // Only whether a quota exists is cached; its value lives in the database (atomic decrement).
  hasQuota: boolean;
}

interface Entry {
  record: CachedKey | null;
  storedAt: number;
}

// Entries live at most 30 s (DESIGN.md section 9): the bound on how long a key keeps working
// while the database is unreachable, and on staleness if a change notification is missed.
export const KEY_CACHE_TTL_MS = 30_000;
const MAX_ENTRIES = 100_000;

export class KeyCache {
  private readonly byHash = new Map<string, Entry>();
  private readonly hashById = new Map<string, string>();

  constructor(
    private readonly ttlMs = KEY_CACHE_TTL_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The record (null: known not to exist) if fresh; undefined when absent or too old. */
  get(hash: string): CachedKey | null | undefined {
    const entry = this.byHash.get(hash);
    if (!entry) return undefined;
    if (this.now() - entry.storedAt >= this.ttlMs) {
      this.delete(hash, entry);
      return undefined;
    }
    return entry.record;
  }

  set(hash: string, record: CachedKey | null): void {
    if (this.byHash.size >= MAX_ENTRIES && !this.byHash.has(hash)) {
      // Maps iterate in insertion order, so the first entry is the oldest.
      const oldest = this.byHash.keys().next().value;
      if (oldest !== undefined) this.delete(oldest, this.byHash.get(oldest)!);
    }
    this.byHash.set(hash, { record, storedAt: this.now() });
    if (record) this.hashById.set(record.id, hash);
  }

  evictById(id: string): void {
    const hash = this.hashById.get(id);
    if (hash !== undefined) this.delete(hash, this.byHash.get(hash));
  }

  clear(): void {
    this.byHash.clear();
    this.hashById.clear();
  }

  get size(): number {
    return this.byHash.size;
  }

  private delete(hash: string, entry: Entry | undefined): void {
    this.byHash.delete(hash);
    if (entry?.record) this.hashById.delete(entry.record.id);
  }
}

// One cache per process, shared by the verifier (in Next's bundle) and the key service, which
// may be loaded as a separate module copy.
export function sharedKeyCache(): KeyCache {
  return processSingleton("keyholdKeyCache", () => new KeyCache());
}
