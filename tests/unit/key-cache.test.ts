import { describe, expect, it } from "vitest";
import { KEY_CACHE_TTL_MS, KeyCache, sharedKeyCache, type CachedKey } from "../../lib/keys/cache";

const MAX_ENTRIES = 100_000;

function record(id: string): CachedKey {
  return {
    id,
    name: `key ${id}`,
    ownerId: null,
    environment: "live",
    scopes: ["orders:read"],
    scopeSet: new Set(["orders:read"]),
    meta: {},
    expiresAt: null,
    revokedAt: null,
    ratelimit: null,
    hasQuota: false,
  };
}

function clock(start = 1_700_000_000_000) {
  const state = { t: start };
  return { state, now: () => state.t };
}

function internals(cache: KeyCache) {
  return cache as unknown as { byHash: Map<string, unknown>; hashById: Map<string, string> };
}

describe("KeyCache", () => {
  it("returns undefined for a hash it has never seen", () => {
    expect(new KeyCache(1_000, clock().now).get("h")).toBeUndefined();
  });

  it("returns the stored record while fresh", () => {
    const cache = new KeyCache(1_000, clock().now);
    const rec = record("key_1");
    cache.set("h1", rec);
    expect(cache.get("h1")).toBe(rec);
    expect(cache.size).toBe(1);
  });

  it("expires entries after the TTL", () => {
    const { state, now } = clock();
    const cache = new KeyCache(1_000, now);
    cache.set("h1", record("key_1"));
    state.t += 999;
    expect(cache.get("h1")).toEqual(record("key_1"));
    state.t += 1;
    expect(cache.get("h1")).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(internals(cache).hashById.size).toBe(0);
  });

  it("keeps entries at most 30 seconds by default", () => {
    expect(KEY_CACHE_TTL_MS).toBe(30_000);
    const { state, now } = clock();
    const cache = new KeyCache(undefined, now);
    cache.set("h1", record("key_1"));
    state.t += 29_999;
    expect(cache.get("h1")).toBeDefined();
    state.t += 1;
    expect(cache.get("h1")).toBeUndefined();
  });

  it("restarts the TTL when an entry is stored again", () => {
    const { state, now } = clock();
    const cache = new KeyCache(1_000, now);
    cache.set("h1", record("key_1"));
    state.t += 900;
    cache.set("h1", record("key_1"));
    state.t += 900;
    expect(cache.get("h1")).toBeDefined();
  });

  it("stores negative entries: null means known not to exist, distinct from absent", () => {
    const { state, now } = clock();
    const cache = new KeyCache(1_000, now);
    cache.set("unknown", null);
    expect(cache.get("unknown")).toBeNull();
    expect(cache.get("other")).toBeUndefined();
    state.t += 1_000;
    expect(cache.get("unknown")).toBeUndefined();
  });

  it("evictById drops the key's entry and nothing else", () => {
    const cache = new KeyCache(1_000, clock().now);
    cache.set("h1", record("key_1"));
    cache.set("h2", record("key_2"));
    cache.set("h3", null);
    cache.evictById("key_1");
    expect(cache.get("h1")).toBeUndefined();
    expect(cache.get("h2")).toEqual(record("key_2"));
    expect(cache.get("h3")).toBeNull();
    expect(cache.size).toBe(2);
  });

  it("evictById of an unknown or already evicted id is a no-op", () => {
    const cache = new KeyCache(1_000, clock().now);
    cache.set("h1", record("key_1"));
    cache.evictById("key_nope");
    cache.evictById("key_1");
    cache.evictById("key_1");
    expect(cache.size).toBe(0);
  });

  it("evictById still works after the entry expired and was stored again", () => {
    const { state, now } = clock();
    const cache = new KeyCache(1_000, now);
    cache.set("h1", record("key_1"));
    state.t += 1_000;
    expect(cache.get("h1")).toBeUndefined();
    cache.set("h1", record("key_1"));
    cache.evictById("key_1");
    expect(cache.get("h1")).toBeUndefined();
  });

  it("clear empties the cache", () => {
    const cache = new KeyCache(1_000, clock().now);
    cache.set("h1", record("key_1"));
    cache.set("h2", null);
    cache.clear();
    expect(cache.size).toBe(0);
    expect(cache.get("h1")).toBeUndefined();
    expect(cache.get("h2")).toBeUndefined();
    expect(internals(cache).hashById.size).toBe(0);
  });

  it("never grows past its bound, dropping the oldest entries", () => {
    const cache = new KeyCache(60_000, clock().now);
    for (let i = 0; i < MAX_ENTRIES + 5; i++) cache.set(`h${i}`, record(`key_${i}`));
    expect(cache.size).toBe(MAX_ENTRIES);
    expect(internals(cache).byHash.size).toBe(MAX_ENTRIES);
    // The id index shrinks with it: evicted keys leave nothing behind.
    expect(internals(cache).hashById.size).toBe(MAX_ENTRIES);
    for (let i = 0; i < 5; i++) expect(cache.get(`h${i}`)).toBeUndefined();
    expect(cache.get("h6")).toEqual(record("key_6"));
    expect(cache.get(`h${MAX_ENTRIES + 4}`)).toEqual(record(`key_${MAX_ENTRIES + 4}`));
  });

  it("does not evict anything when a full cache stores a hash it already holds", () => {
    const cache = new KeyCache(60_000, clock().now);
    for (let i = 0; i < MAX_ENTRIES; i++) cache.set(`h${i}`, null);
    cache.set(`h${MAX_ENTRIES - 1}`, record("key_last"));
    expect(cache.size).toBe(MAX_ENTRIES);
    expect(cache.get(`h${MAX_ENTRIES - 1}`)).toEqual(record("key_last"));
    expect(cache.get("h0")).toBeNull();
  });

  it("sharedKeyCache is one instance per process", () => {
    expect(sharedKeyCache()).toBe(sharedKeyCache());
    expect(sharedKeyCache()).toBeInstanceOf(KeyCache);
  });
});
