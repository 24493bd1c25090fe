import type { Db } from "../db/client";

// Usage charts (DESIGN.md sections 7 and 8). Series come from the per-minute rollups only: raw
// events are pruned after the retention period and would make every chart a scan of them.

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

/**
 * Requests per bucket per outcome in [from, to). Rollups have minute resolution, so a rollup
 * row is in the range when its minute starts in it: with a `from` that is not on a minute
 * boundary, the minute it falls into is left out. Buckets are UTC (`date_trunc` in UTC), and an
 * hour or day bucket cut by the range holds only the part inside it.
 */
export async function usageSeries(db: Db, query: UsageSeriesQuery): Promise<UsagePoint[]> {
  const { keyId, from, to, granularity } = query;
  if (!GRANULARITIES.includes(granularity)) throw new UsageQueryError("granularity must be minute, hour or day");
  checkRange(from, to);
  // "" is how rollups store unknown keys; it is not an id anyone can ask for.
  if (keyId !== null && (typeof keyId !== "string" || keyId === "")) throw new UsageQueryError("keyId must be a key id or null");
  const buckets = Math.ceil((to.getTime() - from.getTime()) / BUCKET_MS[granularity]);
  if (buckets > MAX_SERIES_BUCKETS) {
    throw new UsageQueryError(`the range spans ${buckets} ${granularity} buckets; at most ${MAX_SERIES_BUCKETS} are allowed`);
  }

  // Two statements rather than one with an optional key condition, so each gets a plan for its
  // own index (primary key for one key, the minute index for all keys).
  const start = instant(from);
  const end = instant(to);
  const rows =
    keyId === null
      ? await db.$queryRaw<{ bucket_ms: number; outcome: string; n: bigint }[]>`
          SELECT (extract(epoch FROM date_trunc(${granularity}::text, minute, 'UTC')) * 1000)::float8 AS bucket_ms,
                 outcome, sum(count)::bigint AS n
          FROM usage_rollups
          WHERE minute >= ${start}::timestamptz AND minute < ${end}::timestamptz
          GROUP BY 1, 2
          ORDER BY 1, 2`
      : await db.$queryRaw<{ bucket_ms: number; outcome: string; n: bigint }[]>`
          SELECT (extract(epoch FROM date_trunc(${granularity}::text, minute, 'UTC')) * 1000)::float8 AS bucket_ms,
                 outcome, sum(count)::bigint AS n
          FROM usage_rollups
          WHERE key_id = ${keyId} AND minute >= ${start}::timestamptz AND minute < ${end}::timestamptz
          GROUP BY 1, 2
          ORDER BY 1, 2`;

  const series: UsagePoint[] = [];
  let current: UsagePoint | undefined;
  for (const row of rows) {
    const at = fromEpochMs(row.bucket_ms);
    if (current?.at !== at) {
      current = { at, counts: {} };
      series.push(current);
    }
    const n = toCount(row.n);
    // A rollup row can exist with count 0 (the column defaults to it); "only outcomes that
    // occurred" must not list it.
    if (n > 0) current.counts[row.outcome] = n;
  }
  return series.filter((point) => Object.keys(point.counts).length > 0);
}
