import type { Db } from "../db/client";
import type { UsageEventInput } from "./recorder";
import { Prisma } from "../db/generated/client";
import { env } from "../env";
import { UsageQueryError, checkLimit, checkRange, fromEpochMs, instant, toCount } from "./query-usage";

// Tables for the usage dashboard. Per-key totals come from the rollups like the charts; paths,
// addresses and single events exist only in raw events, which are kept for the retention period.

const DAY_MS = 86_400_000;

export interface RangeQuery {
  from: Date;
  to: Date;
  limit: number;
}

export interface RawRangeQuery extends RangeQuery {
  /** Defaults to KEYHOLD_USAGE_RETENTION_DAYS. */
  retentionDays?: number;
  /** The clock the retention window is measured from; for tests. */
  now?: Date;
}

export interface KeyUsage {
  keyId: string;
  /** null when the key row is gone: events have no foreign key to it. */
  name: string | null;
  start: string | null;
  total: number;
  counts: Record<string, number>;
}

export interface PathUsage {
  method: string;
  path: string;
  total: number;
  counts: Record<string, number>;
}

export interface InvalidAttempts {
  ip: string | null;
  count: number;
  firstAt: string;
  lastAt: string;
}

/** A stored event as the API and dashboard show it: with its id, and its time as ISO 8601. */
export interface UsageEventView extends Omit<UsageEventInput, "at"> {
  id: string;
  at: string;
}

export interface RecentEventsQuery {
  /** A key id; null for requests whose key was unknown; absent for all. */
  keyId?: string | null;
  /** One outcome or several; an empty list filters nothing, like a multi-select left empty. */
  outcome?: string | string[];
  limit: number;
}

/** The oldest moment raw events are guaranteed to be kept for. */
export function retentionCutoff(retentionDays: number, now: Date = new Date()): Date {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new UsageQueryError("retentionDays must be a whole number of at least 1");
  return new Date(now.getTime() - retentionDays * DAY_MS);
}

// Clamped rather than refused: a range reaching back past the retention period is the normal
// "last 90 days" dashboard view, and without the clamp its answer would depend on whether the
// pruner has run yet.
function rawWindow(query: RawRangeQuery): { from: Date; to: Date } | null {
  const cutoff = retentionCutoff(query.retentionDays ?? env().KEYHOLD_USAGE_RETENTION_DAYS, query.now);
  const from = query.from.getTime() < cutoff.getTime() ? cutoff : query.from;
  return from.getTime() < query.to.getTime() ? { from, to: query.to } : null;
}

function addCount(counts: Record<string, number>, outcome: string, value: unknown): void {
  const n = toCount(value);
  if (n > 0) counts[outcome] = n;
}

/** Keys with the most requests in [from, to) (rollup minutes, as in usageSeries), busiest first. */
export async function topKeys(db: Db, query: RangeQuery): Promise<KeyUsage[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  // Unknown keys ("") are not a key to rank; invalidAttemptsByIp covers them.
  const rows = await db.$queryRaw<{ key_id: string; total: bigint; name: string | null; start: string | null; outcome: string; n: bigint }[]>`
    WITH per_outcome AS (
      SELECT key_id, outcome, sum(count)::bigint AS n
      FROM usage_rollups
      WHERE key_id <> '' AND minute >= ${instant(query.from)}::timestamptz AND minute < ${instant(query.to)}::timestamptz
      GROUP BY key_id, outcome
    ), top AS (
      SELECT key_id, sum(n)::bigint AS total
      FROM per_outcome
      GROUP BY key_id
      HAVING sum(n) > 0
      ORDER BY total DESC, key_id
      LIMIT ${limit}::int
    )
    SELECT t.key_id, t.total, k.name, k.start, p.outcome, p.n
    FROM top t
    JOIN per_outcome p ON p.key_id = t.key_id
    LEFT JOIN api_keys k ON k.id = t.key_id
    ORDER BY t.total DESC, t.key_id, p.outcome`;

  const result: KeyUsage[] = [];
  for (const row of rows) {
    let entry = result.at(-1);
    if (entry?.keyId !== row.key_id) {
      entry = { keyId: row.key_id, name: row.name, start: row.start, total: toCount(row.total), counts: {} };
      result.push(entry);
    }
    addCount(entry.counts, row.outcome, row.n);
  }
  return result;
}

/** Most requested method and path pairs in [from, to), from raw events within the retention window. */
export async function topPaths(db: Db, query: RawRangeQuery & { keyId?: string }): Promise<PathUsage[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  const window = rawWindow(query);
  if (!window) return [];
  const byKey = query.keyId === undefined ? Prisma.empty : Prisma.sql`AND key_id = ${query.keyId}`;
  const rows = await db.$queryRaw<{ method: string; path: string; total: bigint; outcome: string; n: bigint }[]>`
    WITH per_outcome AS (
      SELECT method, path, outcome, count(*)::bigint AS n
      FROM usage_events
      WHERE at >= ${instant(window.from)}::timestamptz AND at < ${instant(window.to)}::timestamptz ${byKey}
      GROUP BY method, path, outcome
    ), top AS (
      SELECT method, path, sum(n)::bigint AS total
      FROM per_outcome
      GROUP BY method, path
      ORDER BY total DESC, path, method
      LIMIT ${limit}::int
    )
    SELECT t.method, t.path, t.total, p.outcome, p.n
    FROM top t
    JOIN per_outcome p ON p.method = t.method AND p.path = t.path
    ORDER BY t.total DESC, t.path, t.method, p.outcome`;

  const result: PathUsage[] = [];
  for (const row of rows) {
    let entry = result.at(-1);
    if (entry?.method !== row.method || entry.path !== row.path) {
      entry = { method: row.method, path: row.path, total: toCount(row.total), counts: {} };
      result.push(entry);
    }
    addCount(entry.counts, row.outcome, row.n);
  }
  return result;
}

/** Client addresses sending the most unknown or malformed keys (`invalid_key`) in [from, to). */
export async function invalidAttemptsByIp(db: Db, query: RawRangeQuery): Promise<InvalidAttempts[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  const window = rawWindow(query);
  if (!window) return [];
  const rows = await db.$queryRaw<{ ip: string | null; n: bigint; first_ms: number; last_ms: number }[]>`
    SELECT ip, count(*)::bigint AS n,
           (extract(epoch FROM min(at)) * 1000)::float8 AS first_ms,
           (extract(epoch FROM max(at)) * 1000)::float8 AS last_ms
    FROM usage_events
    WHERE outcome = 'invalid_key' AND at >= ${instant(window.from)}::timestamptz AND at < ${instant(window.to)}::timestamptz
    GROUP BY ip
    ORDER BY n DESC, last_ms DESC, ip NULLS LAST
    LIMIT ${limit}::int`;
  return rows.map((row) => ({
    ip: row.ip,
    count: toCount(row.n),
    firstAt: fromEpochMs(row.first_ms),
    lastAt: fromEpochMs(row.last_ms),
  }));
}

/** The newest raw events, newest first. */
export async function recentEvents(db: Db, query: RecentEventsQuery): Promise<UsageEventView[]> {
  const limit = checkLimit(query.limit);
  const outcomes = query.outcome === undefined ? [] : Array.isArray(query.outcome) ? query.outcome : [query.outcome];
  if (outcomes.some((outcome) => typeof outcome !== "string" || outcome === "")) {
    throw new UsageQueryError("outcome must be a non-empty string or a list of them");
  }
  if (query.keyId !== undefined && query.keyId !== null && (typeof query.keyId !== "string" || query.keyId === "")) {
    throw new UsageQueryError("keyId must be a key id or null");
  }
  const conditions: Prisma.Sql[] = [];
  if (query.keyId === null) conditions.push(Prisma.sql`key_id IS NULL`);
  else if (query.keyId !== undefined) conditions.push(Prisma.sql`key_id = ${query.keyId}`);
  if (outcomes.length > 0) conditions.push(Prisma.sql`outcome = ANY(${outcomes}::text[])`);
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;
  // id breaks ties between events written in the same millisecond.
  const rows = await db.$queryRaw<
    { id: string; key_id: string | null; outcome: string; method: string; path: string; status: number; latency_ms: number; ip: string | null; at_ms: number }[]
  >`
    SELECT id::text AS id, key_id, outcome, method, path, status, latency_ms, ip,
           (extract(epoch FROM at) * 1000)::float8 AS at_ms
    FROM usage_events
    ${where}
    -- Qualified: a bare id here would sort by the text column of the same name.
    ORDER BY usage_events.at DESC, usage_events.id DESC
    LIMIT ${limit}::int`;
  return rows.map((row) => ({
    id: row.id,
    keyId: row.key_id,
    outcome: row.outcome,
    method: row.method,
    path: row.path,
    status: row.status,
    latencyMs: row.latency_ms,
    ip: row.ip,
    at: fromEpochMs(row.at_ms),
  }));
}
