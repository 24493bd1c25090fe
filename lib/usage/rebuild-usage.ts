import type { Actor } from "../access/actor";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { ApiError } from "../errors/api-error";
import { BUCKET_BOUNDS } from "./latency-histogram";
import { UNLOOKED_OUTCOME_LIST } from "./usage-event";

// `usage rebuild` (DESIGN.md section 15.2): recomputes the derived usage tables of whole UTC
// days from the raw events, after a restore or a bulk import. One transaction at REPEATABLE
// READ with its audit entry: a flush committing meanwhile either happened before the snapshot
// (its raw rows are counted) or collides with the rebuilt rows and the rebuild starts over, so
// running it twice, or beside a live server, never counts an event twice.

const DAY_MS = 86_400_000;
const ATTEMPTS = 5;

export interface RebuildOptions {
  from: Date;
  to: Date;
  actor: Actor;
  /** Raw events older than this many days are gone; a rebuild may not reach before them. */
  rawRetentionDays: number;
  now?: Date;
}

export interface RebuildResult {
  /** The range rebuilt, widened to whole UTC days. */
  from: string;
  to: string;
  events: number;
}

function badRange(path: "from" | "to", message: string): ApiError {
  return new ApiError("bad_request", message, { details: [{ path, message }] });
}

// Counts of requests refused without a lookup exist only in the derived tables (key ""): a
// rebuild keeps them.
const KEEP_UNLOOKED = `NOT (key_id = '' AND outcome = ANY($3::text[]))`;

const DELETES = [
  `DELETE FROM usage_rollups WHERE minute >= $1::timestamptz AND minute < $2::timestamptz AND ${KEEP_UNLOOKED}`,
  `DELETE FROM usage_key_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz AND ${KEEP_UNLOOKED}`,
  `DELETE FROM usage_key_days WHERE day >= $1::timestamptz AND day < $2::timestamptz AND ${KEEP_UNLOOKED}`,
];
const DELETES_RAW_ONLY = [
  `DELETE FROM usage_path_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz`,
  `DELETE FROM usage_key_addresses WHERE day >= $1::timestamptz AND day < $2::timestamptz`,
  `DELETE FROM usage_invalid_addresses WHERE hour >= $1::timestamptz AND hour < $2::timestamptz`,
];

// Sums of another derived table, made from it once it is rebuilt: the all-keys hours sum the
// per-key hours (the kept counts included), the path days the path hours of the range's whole
// days, which is one pass over a few thousand rows instead of another over the raw events.
const SUMS = [
  `DELETE FROM usage_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz`,
  `INSERT INTO usage_hours (hour, outcome, requests, status_4xx, status_5xx, latency)
   SELECT hour, outcome, sum(requests)::int, sum(status_4xx)::int, sum(status_5xx)::int, usage_hist_sum(latency)
   FROM usage_key_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz
   GROUP BY hour, outcome`,
  `DELETE FROM usage_path_days WHERE day >= $1::timestamptz AND day < $2::timestamptz`,
  `INSERT INTO usage_path_days (day, method, path, outcome, requests)
   SELECT date_trunc('day', hour, 'UTC'), method, path, outcome, sum(requests)
   FROM usage_path_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz
   GROUP BY 1, 2, 3, 4`,
];

const IN_RANGE = "at >= $1::timestamptz AND at < $2::timestamptz";
// The bucket of each event's latency: width_bucket over the very bounds latencyBucket() uses.
const BUCKET = "width_bucket(latency_ms::float8, $3::float8[])";
const HISTOGRAM = "usage_hist_sum(array_fill(n, ARRAY[1], ARRAY[bucket]))";
const STATUS_CLASSES = `count(*) FILTER (WHERE status BETWEEN 400 AND 499)::int AS s4, count(*) FILTER (WHERE status BETWEEN 500 AND 599)::int AS s5`;

// What the flush's UsageAggregate writes, computed in SQL over the raw rows of the range. Each
// adds to a row that is still there (the counts kept above), as the flush would. Credits are the
// raw events' costs (DESIGN.md section 15.3). Sums are cast to their column's type: int8 for the
// bigint counters (migration 20261202180000), whose sums of a day can pass an int4.
const INSERTS = [
  `INSERT INTO usage_rollups (key_id, minute, outcome, count)
   SELECT coalesce(key_id, ''), date_trunc('minute', at, 'UTC'), outcome, count(*)::int
   FROM usage_events WHERE ${IN_RANGE} GROUP BY 1, 2, 3
   ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = usage_rollups.count + EXCLUDED.count`,
  `INSERT INTO usage_key_hours (key_id, hour, outcome, requests, credits, status_4xx, status_5xx, latency)
   SELECT key_id, hour, outcome, sum(n)::int, sum(c)::int8, sum(s4)::int, sum(s5)::int, ${HISTOGRAM}
   FROM (SELECT coalesce(key_id, '') AS key_id, date_trunc('hour', at, 'UTC') AS hour, outcome, ${BUCKET} AS bucket, count(*)::int AS n, sum(cost)::int8 AS c, ${STATUS_CLASSES}
         FROM usage_events WHERE ${IN_RANGE} GROUP BY 1, 2, 3, 4) b
   GROUP BY 1, 2, 3
   ON CONFLICT (key_id, hour, outcome) DO UPDATE SET requests = usage_key_hours.requests + EXCLUDED.requests, credits = usage_key_hours.credits + EXCLUDED.credits,
     status_4xx = usage_key_hours.status_4xx + EXCLUDED.status_4xx, status_5xx = usage_key_hours.status_5xx + EXCLUDED.status_5xx,
     latency = usage_hist_add(usage_key_hours.latency, EXCLUDED.latency)`,
  `INSERT INTO usage_key_days (key_id, day, outcome, requests, credits)
   SELECT coalesce(key_id, ''), date_trunc('day', at, 'UTC'), outcome, count(*)::int8, sum(cost)::int8
   FROM usage_events WHERE ${IN_RANGE} GROUP BY 1, 2, 3
   ON CONFLICT (key_id, day, outcome) DO UPDATE SET requests = usage_key_days.requests + EXCLUDED.requests, credits = usage_key_days.credits + EXCLUDED.credits`,
  `INSERT INTO usage_path_hours (hour, method, path, outcome, requests, status_4xx, status_5xx, latency)
   SELECT hour, method, path, outcome, sum(n)::int, sum(s4)::int, sum(s5)::int, ${HISTOGRAM}
   FROM (SELECT date_trunc('hour', at, 'UTC') AS hour, method, path, outcome, ${BUCKET} AS bucket, count(*)::int AS n, ${STATUS_CLASSES}
         FROM usage_events WHERE ${IN_RANGE} GROUP BY 1, 2, 3, 4, 5) b
   GROUP BY 1, 2, 3, 4`,
  `INSERT INTO usage_key_addresses (key_id, day, ip, requests, denied, last_seen_at)
   SELECT key_id, date_trunc('day', at, 'UTC'), ip, count(*)::int8, count(*) FILTER (WHERE outcome <> 'valid')::int8, max(at)
   FROM usage_events WHERE ${IN_RANGE} AND key_id IS NOT NULL AND ip IS NOT NULL GROUP BY 1, 2, 3`,
  `INSERT INTO usage_invalid_addresses (hour, ip, attempts, first_at, last_at)
   SELECT date_trunc('hour', at, 'UTC'), coalesce(ip, ''), count(*)::int, min(at), max(at)
   FROM usage_events WHERE ${IN_RANGE} AND outcome = 'invalid_key' GROUP BY 1, 2`,
];

async function rebuildIn(tx: Prisma.TransactionClient, from: string, to: string): Promise<number> {
  for (const sql of DELETES) await tx.$executeRawUnsafe(sql, from, to, UNLOOKED_OUTCOME_LIST);
  for (const sql of DELETES_RAW_ONLY) await tx.$executeRawUnsafe(sql, from, to);
  // Only the statements with latency buckets take the bounds as their third parameter.
  for (const sql of INSERTS) await tx.$executeRawUnsafe(sql, from, to, ...(sql.includes(BUCKET) ? [BUCKET_BOUNDS] : []));
  for (const sql of SUMS) await tx.$executeRawUnsafe(sql, from, to);
  const [{ n }] = await tx.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM usage_events WHERE ${IN_RANGE}`, from, to);
  return Number(n);
}

function isSerializationFailure(error: unknown): boolean {
  const text = JSON.stringify(error, Object.getOwnPropertyNames(error ?? {})) ?? "";
  return text.includes("40001") || text.includes("could not serialize");
}

export async function rebuildUsage(db: Db, options: RebuildOptions): Promise<RebuildResult> {
  const { from, to } = options;
  if (!(from instanceof Date) || Number.isNaN(from.getTime())) throw badRange("from", "--from must be an ISO 8601 date");
  if (!(to instanceof Date) || Number.isNaN(to.getTime())) throw badRange("to", "--to must be an ISO 8601 date");
  if (from.getTime() >= to.getTime()) throw badRange("from", "--from must be before --to");
  const start = from.getTime() - (from.getTime() % DAY_MS);
  const end = Math.ceil(to.getTime() / DAY_MS) * DAY_MS;
  const now = options.now ?? new Date();
  const oldest = now.getTime() - options.rawRetentionDays * DAY_MS;
  const oldestDay = oldest - (oldest % DAY_MS);
  if (start < oldestDay) {
    // The derived rows of those days are all that is left of them; recomputing would erase them.
    throw badRange("from", `raw events are kept ${options.rawRetentionDays} days: --from must be on or after ${new Date(oldestDay).toISOString()}`);
  }
  const range = { from: new Date(start).toISOString(), to: new Date(end).toISOString() };

  for (let attempt = 1; ; attempt++) {
    try {
      const events = await db.$transaction(
        async (tx) => {
          const count = await rebuildIn(tx, range.from, range.to);
          await writeAudit(tx, { actor: options.actor, action: "usage.rebuilt", targetType: "usage", targetId: null, data: { ...range, events: count } });
          return count;
        },
        { isolationLevel: "RepeatableRead", timeout: 24 * 3_600_000, maxWait: 60_000 },
      );
      return { ...range, events };
    } catch (error) {
      if (attempt >= ATTEMPTS || !isSerializationFailure(error)) throw error;
    }
  }
}
