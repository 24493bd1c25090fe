import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

import type { PoolStats } from "../db/client";
import { DENIED_OUTCOMES } from "../errors/error-codes";
import { processSingleton } from "../process/process-singleton";
import type { UsageRecorderStats } from "../usage/recorder";

// Prometheus metrics for GET /api/metrics. The verification path only ever does the O(1)
// updates below (a counter increment, a histogram observation); everything that has a value of
// its own elsewhere (the usage buffer, the database pool) is read when scraped, by collect().

export interface MetricSources {
  usage(): UsageRecorderStats | null;
  pool(): PoolStats | null;
}

export interface Metrics {
  registry: Registry;
  verifications: Counter<"outcome">;
  verificationSeconds: Histogram;
  keyCacheHits: Counter;
  keyCacheMisses: Counter;
  webhookDeliveries: Counter<"result">;
  webhookDeliverySeconds: Histogram;
  webhookPending: Gauge;
  /** The verification path's counts: a plain increment, added to the counters when scraped. */
  countVerification(outcome: string): void;
  countCacheHit(): void;
  countCacheMiss(): void;
}

// Verification takes microseconds on a cache hit and a database round trip on a miss; the
// buckets span both, up to the pool's connection timeout.
const LATENCY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

export function createMetrics(sources: MetricSources, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  const registers = [registry];
  // prom-client hashes the label set on every labelled increment: the hot path counts into these
  // instead, and each counter takes up what is pending whenever it is read.
  const pendingOutcomes = new Map<string, number>();
  let pendingHits = 0;
  let pendingMisses = 0;

  const verifications = new Counter({
    name: "keyhold_verifications_total",
    help: "API key verifications, by outcome (valid or the error code of the refusal).",
    labelNames: ["outcome"] as const,
    registers,
    collect() {
      for (const [outcome, count] of pendingOutcomes) this.inc({ outcome }, count);
      pendingOutcomes.clear();
    },
  });
  // Every outcome starts at 0, so a rate over an outcome that has not happened yet is 0, not absent.
  for (const outcome of ["valid", ...DENIED_OUTCOMES]) verifications.inc({ outcome }, 0);

  const verificationSeconds = new Histogram({
    name: "keyhold_verification_duration_seconds",
    help: "Time to verify an API key, from reading the headers to the decision (the handler excluded).",
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const keyCacheHits = new Counter({
    name: "keyhold_key_cache_hits_total",
    help: "Verifications answered from the in-process key cache.",
    registers,
    collect() {
      this.inc(pendingHits);
      pendingHits = 0;
    },
  });
  const keyCacheMisses = new Counter({
    name: "keyhold_key_cache_misses_total",
    help: "Verifications that had to look the key up in the database.",
    registers,
    collect() {
      this.inc(pendingMisses);
      pendingMisses = 0;
    },
  });

  new Gauge({
    name: "keyhold_usage_buffered_events",
    help: "Usage events waiting in memory to be written to the database.",
    registers,
    collect() {
      this.set(sources.usage()?.buffered ?? 0);
    },
  });
  // Counters whose running totals the usage recorder keeps: set to its value at each scrape.
  const recorderTotal = (name: string, help: string, read: (stats: UsageRecorderStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(read(sources.usage() ?? { buffered: 0, written: 0, dropped: 0, flushFailures: 0 }));
      },
    });
  recorderTotal("keyhold_usage_written_events_total", "Usage events written to the database.", (stats) => stats.written);
  recorderTotal(
    "keyhold_usage_dropped_events_total",
    "Usage events dropped because the buffer was full while the database refused writes.",
    (stats) => stats.dropped,
  );
  recorderTotal("keyhold_usage_flush_failures_total", "Failed attempts to write buffered usage events to the database.", (stats) => stats.flushFailures);

  const poolGauge = (name: string, help: string, read: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers,
      collect() {
        // No pool yet (nothing has queried the database): no connections.
        const stats = sources.pool();
        this.set(stats ? read(stats) : 0);
      },
    });
  poolGauge("keyhold_db_pool_connections", "Open connections in the database pool.", (stats) => stats.total);
  poolGauge("keyhold_db_pool_idle_connections", "Open database connections not in use.", (stats) => stats.idle);
  poolGauge("keyhold_db_pool_waiting_requests", "Queries waiting for a free database connection.", (stats) => stats.waiting);

  const webhookDeliveries = new Counter({
    name: "keyhold_webhook_deliveries_total",
    help: "Webhook delivery attempts by result: succeeded, failed (retried later) or gave_up (after 24 hours).",
    labelNames: ["result"] as const,
    registers,
  });
  for (const result of ["succeeded", "failed", "gave_up"]) webhookDeliveries.inc({ result }, 0);
  const webhookDeliverySeconds = new Histogram({
    name: "keyhold_webhook_delivery_duration_seconds",
    help: "Time from sending a webhook to the receiver's answer (or the 10 s cut-off).",
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const webhookPending = new Gauge({
    name: "keyhold_webhook_pending_deliveries",
    help: "Webhook deliveries waiting to be sent or retried, as last counted by this instance's delivery worker.",
    registers,
  });

  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });

  return {
    registry,
    verifications,
    verificationSeconds,
    keyCacheHits,
    keyCacheMisses,
    webhookDeliveries,
    webhookDeliverySeconds,
    webhookPending,
    countVerification(outcome) {
      pendingOutcomes.set(outcome, (pendingOutcomes.get(outcome) ?? 0) + 1);
    },
    countCacheHit() {
      pendingHits++;
    },
    countCacheMiss() {
      pendingMisses++;
    },
  };
}

// One registry per process: each of Next's bundles has its own copy of this module (and possibly
// of prom-client), yet all must count into the registry that /api/metrics reads.
const sourcesHolder = () => processSingleton("keyholdMetricSources", (): { current: MetricSources | null } => ({ current: null }));

export function metrics(): Metrics {
  return processSingleton("keyholdMetrics", () =>
    createMetrics({ usage: () => sourcesHolder().current?.usage() ?? null, pool: () => sourcesHolder().current?.pool() ?? null }, { defaultMetrics: true }),
  );
}

/**
 * Where the scrape-time gauges read from. Set by the metrics endpoint rather than imported here,
 * so that the verification path, which imports this module, does not pull in the usage recorder
 * and the database client with it.
 */
export function setMetricSources(sources: MetricSources): void {
  sourcesHolder().current = sources;
}

/** One finished verification, for the hot path: one count, one observation. */
export function recordVerification(outcome: string, seconds: number): void {
  const m = metrics();
  m.countVerification(outcome);
  m.verificationSeconds.observe(seconds);
}
