import type { Db } from "../db/client";
import { histogramFromArray, percentiles } from "./latency-histogram";

// Usage charts (DESIGN.md sections 7 and 15.2). Series come from the derived tables only: raw
// events are kept a few days and would make every chart a scan of them.

export type Granularity = "minute" | "hour" | "day";

export const GRANULARITIES: readonly Granularity[] = ["minute", "hour", "day"];

const BUCKET_MS: Record<Granularity, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };

// Bounds the rows one request can make PostgreSQL group and send: about 69 days by the minute,
// 11 years by the hour. Only buckets with events are returned, but a busy key fills them all.
export const MAX_SERIES_BUCKETS = 100_000;

/** A query argument out of range; the message is safe to show to the caller (a 400). */
export class UsageQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageQueryError";
  }
}

export interface UsageSeriesQuery {
  /** null: every key, including requests whose key was unknown. */
  keyId: string | null;
  from: Date;
  to: Date;
  granularity: Granularity;
  /** Requests (default), or the credits they spent (DESIGN.md section 15.3): one key, hour or day. */
  measure?: "requests" | "credits";
}

export interface UsagePoint {
  /** Start of the bucket, ISO 8601 in UTC. */
  at: string;
  /** Only outcomes that occurred in the bucket. */
  counts: Record<string, number>;
}

export function checkRange(from: unknown, to: unknown): void {
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw new UsageQueryError("from must be a valid date");
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw new UsageQueryError("to must be a valid date");
  if (from.getTime() >= to.getTime()) throw new UsageQueryError("from must be before to");
}

export function checkLimit(limit: unknown, max = 1_000): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > max) {
    throw new UsageQueryError(`limit must be a whole number from 1 to ${max}`);
  }
  return limit;
}

// @prisma/adapter-pg writes a Date without its offset and relabels the offset of a returned
// timestamptz as UTC without converting it (prisma/orm#26786), so on a database whose TimeZone
// is not UTC (initdb takes the host's) every instant would shift. Instants therefore cross as
// ISO strings that carry their zone on the way in and as epoch milliseconds on the way out.
export function instant(date: Date): string {
  return date.toISOString();
}

export function fromEpochMs(value: unknown): string {
  return new Date(Number(value)).toISOString();
}

// Sums are bigint in SQL so a day of a busy instance cannot overflow int4; the adapter hands
// them back as bigint (or a string, depending on the driver's settings).
export function toCount(value: unknown): number {
  return typeof value === "number" ? value : Number(value);
}

export interface LatencyPercentiles {
  p50: number | null;
  p95: number | null;
  p99: number | null;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

// Which derived table answers which question (DESIGN.md section 15.2): per-minute counts for
// minutes, the all-keys hours for every key at once, a key's own hours and days otherwise.
function source(keyId: string | null, granularity: Granularity): { table: string; column: string; resolutionMs: number; value: string } {
  if (granularity === "minute") return { table: "usage_rollups", column: "minute", resolutionMs: 60_000, value: "count" };
  if (keyId === null) return { table: "usage_hours", column: "hour", resolutionMs: HOUR_MS, value: "requests" };
  if (granularity === "hour") return { table: "usage_key_hours", column: "hour", resolutionMs: HOUR_MS, value: "requests" };
  return { table: "usage_key_days", column: "day", resolutionMs: DAY_MS, value: "requests" };
}

/** A histogram as PostgreSQL sends it back, with the bucket its first element counts. */
export interface HistogramRow {
  first_bucket: number | null;
  latency: number[] | null;
}

export function latencyOf(row: HistogramRow): LatencyPercentiles {
  const [p50, p95, p99] = percentiles(histogramFromArray(row.latency, row.first_bucket ?? 0), [0.5, 0.95, 0.99]);
  return { p50, p95, p99 };
}

/**
 * Requests per bucket per outcome in [from, to), from the derived tables only. Their rows cover
 * a minute, an hour or a day, so a row is in the range when it overlaps it: a `from` inside an
 * hour counts that whole hour. Buckets are UTC.
 */
export async function usageSeries(db: Db, query: UsageSeriesQuery): Promise<UsagePoint[]> {
  const { keyId, from, to, granularity } = query;
  if (!GRANULARITIES.includes(granularity)) throw new UsageQueryError("granularity must be minute, hour or day");
  // Credits are kept per key per hour and day only.
  const credits = query.measure === "credits";
  if (credits && (keyId === null || granularity === "minute")) throw new UsageQueryError("credits are counted per key, by hour or day");
  checkRange(from, to);
  // "" is how derived tables store unknown keys; it is not an id anyone can ask for.
  if (keyId !== null && (typeof keyId !== "string" || keyId === "")) throw new UsageQueryError("keyId must be a key id or null");
  const buckets = Math.ceil((to.getTime() - from.getTime()) / BUCKET_MS[granularity]);
  if (buckets > MAX_SERIES_BUCKETS) {
    throw new UsageQueryError(`the range spans ${buckets} ${granularity} buckets; at most ${MAX_SERIES_BUCKETS} are allowed`);
  }

  const { table, column, resolutionMs, value: requests } = source(keyId, granularity);
  const value = credits ? "credits" : requests;
  const start = instant(new Date(from.getTime() - (from.getTime() % resolutionMs)));
  const byKey = keyId === null ? "" : "AND key_id = $4";
  const rows = await db.$queryRawUnsafe<{ bucket_ms: number; outcome: string; n: bigint }[]>(
    `SELECT (extract(epoch FROM date_trunc($3::text, ${column}, 'UTC')) * 1000)::float8 AS bucket_ms, outcome, sum(${value})::bigint AS n
     FROM ${table}
     WHERE ${column} >= $1::timestamptz AND ${column} < $2::timestamptz ${byKey}
     GROUP BY 1, 2
     ORDER BY 1, 2`,
    start,
    instant(to),
    granularity,
    ...(keyId === null ? [] : [keyId]),
  );

  const series: UsagePoint[] = [];
  let current: UsagePoint | undefined;
  for (const row of rows) {
    const at = fromEpochMs(row.bucket_ms);
    if (current?.at !== at) {
      current = { at, counts: {} };
      series.push(current);
    }
    const n = toCount(row.n);
    // A derived row can hold 0 (the column defaults to it); "only outcomes that occurred" must
    // not list it.
    if (n > 0) current.counts[row.outcome] = n;
  }
  return series.filter((point) => Object.keys(point.counts).length > 0);
}

export interface PerformancePoint {
  /** Start of the bucket, ISO 8601 in UTC. */
  at: string;
  latency: LatencyPercentiles;
  requests: number;
  /** Responses of the protected handler (or refusals) with a 4xx or a 5xx status. */
  status4xx: number;
  status5xx: number;
}

/**
 * Latency percentiles and error counts per hour or day bucket in [from, to), merged from the
 * hourly rows of one key, or of every key when keyId is null; buckets without requests are left out.
 */
export async function latencySeries(db: Db, query: UsageSeriesQuery): Promise<PerformancePoint[]> {
  const { keyId, from, to, granularity } = query;
  if (granularity === "minute") throw new UsageQueryError("latency is kept per hour: granularity must be hour or day");
  checkRange(from, to);
  const table = keyId === null ? "usage_hours" : "usage_key_hours";
  const byKey = keyId === null ? "" : "AND key_id = $4";
  const rows = await db.$queryRawUnsafe<(HistogramRow & { bucket_ms: number; requests: bigint; s4: bigint; s5: bigint })[]>(
    `SELECT bucket_ms, array_lower(latency, 1) AS first_bucket, latency, requests, s4, s5
     FROM (
       SELECT (extract(epoch FROM date_trunc($3::text, hour, 'UTC')) * 1000)::float8 AS bucket_ms, usage_hist_sum(latency) AS latency,
              sum(requests)::bigint AS requests, sum(status_4xx)::bigint AS s4, sum(status_5xx)::bigint AS s5
       FROM ${table}
       WHERE hour >= $1::timestamptz AND hour < $2::timestamptz ${byKey}
       GROUP BY 1
     ) b
     WHERE requests > 0
     ORDER BY 1`,
    instant(new Date(from.getTime() - (from.getTime() % HOUR_MS))),
    instant(to),
    granularity,
    ...(keyId === null ? [] : [keyId]),
  );
  return rows.map((row) => ({
    at: fromEpochMs(row.bucket_ms),
    latency: latencyOf(row),
    requests: toCount(row.requests),
    status4xx: toCount(row.s4),
    status5xx: toCount(row.s5),
  }));
}
