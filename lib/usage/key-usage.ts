import type { Db } from "../db/client";
import { latencySeries, usageSeries, type LatencyPercentiles, type UsagePoint, type UsageSeriesQuery } from "./query-usage";

// A key's usage series as GET /api/v1/keys/{id}/usage answers it: counts per bucket, and with
// include=latency the percentiles of the same buckets (issue 17).

const NO_LATENCY: LatencyPercentiles = { p50: null, p95: null, p99: null };

export async function keyUsageWithLatency(db: Db, query: UsageSeriesQuery, withLatency: boolean): Promise<(UsagePoint & { latency?: LatencyPercentiles })[]> {
  if (!withLatency) return usageSeries(db, query);
  const [series, latency] = await Promise.all([usageSeries(db, query), latencySeries(db, query)]);
  const byBucket = new Map(latency.map((point) => [point.at, point.latency]));
  return series.map((point) => ({ ...point, latency: byBucket.get(point.at) ?? NO_LATENCY }));
}
