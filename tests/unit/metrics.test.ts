import { describe, expect, it, vi } from "vitest";

import type { PoolStats } from "../../lib/db/client";
import { KeyCache } from "../../lib/keys/cache";
import { generateKey } from "../../lib/keys/format";
import { KeyVerifier } from "../../lib/keys/verify";
import { createMetrics, metrics } from "../../lib/observability/metrics";
import { refuseMetrics } from "../../lib/observability/metrics-endpoint";
import type { UsageRecorderStats } from "../../lib/usage/recorder";

// Prometheus metrics (lib/observability/metrics.ts) and the access rule of GET /api/metrics.
// The end-to-end counts over HTTP are in tests/e2e/observability.spec.ts.

/** name{labels} -> value for every sample line of a text exposition. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line === "" || line.startsWith("#")) continue;
    const at = line.lastIndexOf(" ");
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

function fakeSources() {
  const state: { usage: UsageRecorderStats | null; pool: PoolStats | null } = { usage: null, pool: null };
  return { state, sources: { usage: () => state.usage, pool: () => state.pool } };
}

describe("createMetrics", () => {
  it("counts verifications by outcome, every known outcome starting at 0", async () => {
    const { sources } = fakeSources();
    const m = createMetrics(sources);
    let values = samples(await m.registry.metrics());
    expect(values.get('keyhold_verifications_total{outcome="valid"}')).toBe(0);
    expect(values.get('keyhold_verifications_total{outcome="invalid_key"}')).toBe(0);
    expect(values.get('keyhold_verifications_total{outcome="missing_key"}')).toBe(0);

    m.countVerification("valid");
    m.countVerification("valid");
    m.countVerification("rate_limited");
    m.verificationSeconds.observe(0.0003);
    m.verificationSeconds.observe(0.02);
    values = samples(await m.registry.metrics());
    expect(values.get('keyhold_verifications_total{outcome="valid"}')).toBe(2);
    expect(values.get('keyhold_verifications_total{outcome="rate_limited"}')).toBe(1);
    expect(values.get("keyhold_verification_duration_seconds_count")).toBe(2);
    expect(values.get('keyhold_verification_duration_seconds_bucket{le="0.0005"}')).toBe(1);
    expect(values.get('keyhold_verification_duration_seconds_bucket{le="+Inf"}')).toBe(2);

    // Counted once: a second scrape adds only what came since the first.
    m.countVerification("valid");
    values = samples(await m.registry.metrics());
    expect(values.get('keyhold_verifications_total{outcome="valid"}')).toBe(3);
    expect(values.get('keyhold_verifications_total{outcome="rate_limited"}')).toBe(1);
    values = samples(await m.registry.metrics());
    expect(values.get('keyhold_verifications_total{outcome="valid"}')).toBe(3);
  });

  it("counts key cache hits and misses, once per scrape", async () => {
    const m = createMetrics(fakeSources().sources);
    m.countCacheHit();
    m.countCacheHit();
    m.countCacheMiss();
    let values = samples(await m.registry.metrics());
    expect(values.get("keyhold_key_cache_hits_total")).toBe(2);
    expect(values.get("keyhold_key_cache_misses_total")).toBe(1);
    m.countCacheHit();
    values = samples(await m.registry.metrics());
    expect(values.get("keyhold_key_cache_hits_total")).toBe(3);
    expect(values.get("keyhold_key_cache_misses_total")).toBe(1);
  });

  it("reads the usage recorder's figures when scraped, not per event", async () => {
    const { state, sources } = fakeSources();
    const m = createMetrics(sources);
    let values = samples(await m.registry.metrics());
    expect(values.get("keyhold_usage_buffered_events")).toBe(0);
    expect(values.get("keyhold_usage_dropped_events_total")).toBe(0);

    state.usage = { buffered: 42, written: 1000, dropped: 7, flushFailures: 3 };
    values = samples(await m.registry.metrics());
    expect(values.get("keyhold_usage_buffered_events")).toBe(42);
    expect(values.get("keyhold_usage_written_events_total")).toBe(1000);
    expect(values.get("keyhold_usage_dropped_events_total")).toBe(7);
    expect(values.get("keyhold_usage_flush_failures_total")).toBe(3);

    // Totals are the recorder's, set at each scrape: scraping twice does not add them up.
    state.usage = { buffered: 0, written: 1500, dropped: 7, flushFailures: 4 };
    values = samples(await m.registry.metrics());
    expect(values.get("keyhold_usage_buffered_events")).toBe(0);
    expect(values.get("keyhold_usage_written_events_total")).toBe(1500);
    expect(values.get("keyhold_usage_dropped_events_total")).toBe(7);
    expect(values.get("keyhold_usage_flush_failures_total")).toBe(4);
  });

  it("reports the database pool once there is one", async () => {
    const { state, sources } = fakeSources();
    const m = createMetrics(sources);
    let values = samples(await m.registry.metrics());
    expect(values.get("keyhold_db_pool_connections")).toBe(0);

    state.pool = { total: 5, idle: 3, waiting: 1 };
    values = samples(await m.registry.metrics());
    expect(values.get("keyhold_db_pool_connections")).toBe(5);
    expect(values.get("keyhold_db_pool_idle_connections")).toBe(3);
    expect(values.get("keyhold_db_pool_waiting_requests")).toBe(1);
  });

  it("keeps one registry per process, shared by every copy of the module", async () => {
    const first = metrics();
    vi.resetModules();
    const again = await import("../../lib/observability/metrics");
    expect(again.metrics()).toBe(first);
  });
});

describe("KeyVerifier cache counters", () => {
  it("counts a miss for the database lookup and a hit for each answer from the cache", async () => {
    const findUnique = vi.fn(async () => null);
    const db = { apiKey: { findUnique } } as unknown as ConstructorParameters<typeof KeyVerifier>[0];
    const limiter = { check: vi.fn() };
    const verifier = new KeyVerifier(db, new KeyCache(), limiter);
    const { keyCacheHits, keyCacheMisses } = metrics();
    const hits = (await keyCacheHits.get()).values[0]?.value ?? 0;
    const misses = (await keyCacheMisses.get()).values[0]?.value ?? 0;

    const key = generateKey("live");
    expect((await verifier.verify(key)).valid).toBe(false);
    expect((await verifier.verify(key)).valid).toBe(false);
    expect((await verifier.verify(key)).valid).toBe(false);
    // A malformed key never reaches the cache, so it is neither.
    await verifier.verify("kh_live_nope");

    expect(findUnique).toHaveBeenCalledTimes(1);
    expect((await keyCacheMisses.get()).values[0]?.value).toBe(misses + 1);
    expect((await keyCacheHits.get()).values[0]?.value).toBe(hits + 2);
  });
});

describe("refuseMetrics", () => {
  const token = "metrics-token-0123456789";

  it("is off (404 not_found) while KEYHOLD_METRICS_TOKEN is unset, whatever is presented", () => {
    expect(refuseMetrics(null, undefined)?.code).toBe("not_found");
    expect(refuseMetrics(`Bearer ${token}`, undefined)?.code).toBe("not_found");
    expect(refuseMetrics(`Bearer ${token}`, undefined)?.status).toBe(404);
  });

  it("wants the token as a bearer token: 401 missing_key without one, invalid_key when wrong", () => {
    expect(refuseMetrics(null, token)?.code).toBe("missing_key");
    expect(refuseMetrics("Bearer ", token)?.code).toBe("missing_key");
    expect(refuseMetrics(`Basic ${token}`, token)?.code).toBe("missing_key");
    expect(refuseMetrics("Bearer wrong-token", token)?.code).toBe("invalid_key");
    expect(refuseMetrics(`Bearer ${token}x`, token)?.code).toBe("invalid_key");
    expect(refuseMetrics(`Bearer ${token.slice(0, -1)}`, token)?.code).toBe("invalid_key");
    expect(refuseMetrics("Bearer wrong-token", token)?.status).toBe(401);
  });

  it("accepts the exact token, with the scheme in any case", () => {
    expect(refuseMetrics(`Bearer ${token}`, token)).toBeNull();
    expect(refuseMetrics(`bearer ${token}`, token)).toBeNull();
  });

  it("never echoes the token in its messages", () => {
    for (const header of [null, "Bearer wrong-token", `Bearer ${token}x`]) {
      expect(refuseMetrics(header, token)?.message).not.toContain(token);
    }
  });
});
