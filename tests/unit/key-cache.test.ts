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
    refill: null,
    quotaResetAt: 0,
    ipAllowlist: null,
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
    for (let i = 0; i < MAX_ENTRIES; i++) cache.set(`h${i}`, record(`key_${i}`));
    cache.set(`h${MAX_ENTRIES - 1}`, record("key_last"));
    expect(cache.size).toBe(MAX_ENTRIES);
    expect(cache.get(`h${MAX_ENTRIES - 1}`)).toEqual(record("key_last"));
    expect(cache.get("h0")).toEqual(record("key_0"));
  });

  it("keeps unknown hashes apart: a flood of them never evicts a real key, and they stay bounded", () => {
    const cache = new KeyCache(60_000, clock().now, { maxEntries: 3, maxUnknown: 100 });
    cache.set("real", record("key_real"));
    for (let i = 0; i < 10_000; i++) cache.set(`random${i}`, null);
    expect(cache.get("real")).toEqual(record("key_real"));
    expect(cache.size).toBe(101);
    // The newest unknown hashes are the ones kept.
    expect(cache.get("random9999")).toBeNull();
    expect(cache.get("random0")).toBeUndefined();
  });

  it("refuses a fill that an eviction overtook, and takes one that started after it", () => {
    const cache = new KeyCache(60_000, clock().now);
    const before = cache.generation;
    cache.evictById("key_1");
    expect(cache.set("h1", record("key_1"), before)).toBe(false);
    expect(cache.get("h1")).toBeUndefined();
    expect(cache.set("h1", record("key_1"), cache.generation)).toBe(true);
    expect(cache.get("h1")).toEqual(record("key_1"));
    const beforeClear = cache.generation;
    cache.clear();
    expect(cache.set("h2", null, beforeClear)).toBe(false);
    expect(cache.get("h2")).toBeUndefined();
  });

  it("asks for one background reload of a real key after two thirds of the TTL, then once a second until it is stored again", () => {
    const { state, now } = clock();
    const cache = new KeyCache(30_000, now);
    cache.set("h1", record("key_1"));
    cache.set("h2", null);
    state.t += 19_999;
    expect(cache.refreshDue("h1")).toBe(false);
    state.t += 1;
    expect(cache.refreshDue("h1")).toBe(true);
    expect(cache.refreshDue("h1")).toBe(false);
    state.t += 999;
    expect(cache.refreshDue("h1")).toBe(false);
    state.t += 1;
    expect(cache.refreshDue("h1")).toBe(true);
    cache.set("h1", record("key_1"));
    expect(cache.refreshDue("h1")).toBe(false);
    // Unknown hashes are not reloaded: they simply expire.
    expect(cache.refreshDue("h2")).toBe(false);
  });

  it("sharedKeyCache is one instance per process", () => {
    expect(sharedKeyCache()).toBe(sharedKeyCache());
    expect(sharedKeyCache()).toBeInstanceOf(KeyCache);
  });
});
