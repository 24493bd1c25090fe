import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { checkLimit, checkRange, fromEpochMs, instant, toCount, UsageQueryError } from "./query-usage";
import type { UsageEventInput } from "./usage-event";

// Tables for the usage dashboard. Totals, top lists and addresses come from the derived tables
// (DESIGN.md section 15.2); only the "recent requests" lists read raw events.

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface RangeQuery {
  from: Date;
  to: Date;
  limit: number;
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
export interface UsageEventView extends Omit<UsageEventInput, "at" | "cost"> {
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

function addCount(counts: Record<string, number>, outcome: string, value: unknown): void {
  const n = toCount(value);
  if (n > 0) counts[outcome] = n;
}

const floorTo = (ms: number, size: number) => ms - (ms % size);

/**
 * [from, to) as the derived tables answer it: the whole UTC days inside from the daily rows,
 * the hours at either edge, [hoursFrom, daysFrom) and [daysTo, to), from the hourly rows (an
 * hour cut by `from` counts whole, as does one cut by `to`). Within one day, all of it is hours.
 * Instants as ISO strings (see `instant`).
 */
function daysAndEdgeHours(from: Date, to: Date): { hoursFrom: string; daysFrom: string; daysTo: string; to: string } {
  const hoursFrom = floorTo(from.getTime(), HOUR_MS);
  let daysFrom = Math.ceil(hoursFrom / DAY_MS) * DAY_MS;
  let daysTo = floorTo(to.getTime(), DAY_MS);
  if (daysFrom >= daysTo) daysFrom = daysTo = hoursFrom;
  return { hoursFrom: instant(new Date(hoursFrom)), daysFrom: instant(new Date(daysFrom)), daysTo: instant(new Date(daysTo)), to: instant(to) };
}

// How many of each day's busiest keys per outcome topKeys reads before it computes exact totals,
// and how many of those it computes them for: a short pass, then a deep one. 50 a day settle a
// skewed month; the deep pass is for many keys alike at the cut, such as a fleet polling on a
// timer. At the scale bench, a day on which 200 keys made 1,400-1,540 requests each (the bench's
// own load, 100 keys a run) left the 24 hours' ranking to the sum of every key's hours, 0.6-0.9 s;
// the deep pass settles it in 80 ms.
const SHORTLISTS = [
  [50, 200],
  [1000, 1000],
] as const;

/**
 * Keys with the most requests in [from, to), busiest first: whole UTC days from the per-key
 * days, the hours at either edge from the per-key hours (an hour cut by `from` counts whole).
 *
 * With a million active keys, summing every key's days takes seconds, so the ranking first
 * tries a shortlist (Fagin's threshold idea): each day's busiest keys per outcome, read from
 * an index; exact totals for the shortlist; and a bound on what any other key can have made
 * on the days the range touches. When the last of the top `limit` beats the bound, no other
 * key can rank; otherwise longer lists are tried, and when those do not settle it either (an
 * even spread, a short range) every key is summed.
 */
export async function topKeys(db: Db, query: RangeQuery): Promise<KeyUsage[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  const { hoursFrom: h1, daysFrom: d1, daysTo: d2, to: end } = daysAndEdgeHours(query.from, query.to);
  const cover = instant(new Date(floorTo(query.from.getTime(), DAY_MS)));

  // Unknown keys ("") are not a key to rank; invalidAttemptsByIp covers them.
  const ranked = async (keys: string[] | null) => {
    const only = keys === null ? Prisma.empty : Prisma.sql`AND key_id = ANY(${keys}::text[])`;
    const rows = await db.$queryRaw<{ key_id: string; total: bigint; name: string | null; start: string | null; outcome: string; n: bigint }[]>`
      WITH per_outcome AS (
        SELECT key_id, outcome, sum(n)::bigint AS n
        FROM (
          SELECT key_id, outcome, requests AS n FROM usage_key_days
          WHERE day >= ${d1}::timestamptz AND day < ${d2}::timestamptz AND key_id <> '' ${only}
          UNION ALL
          SELECT key_id, outcome, requests FROM usage_key_hours
          WHERE ((hour >= ${h1}::timestamptz AND hour < ${d1}::timestamptz) OR (hour >= ${d2}::timestamptz AND hour < ${end}::timestamptz)) AND key_id <> '' ${only}
        ) u
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
  };

  // A key off every list made at most each list's last count on that list's day and outcome
  // (all of it, were it cut off: the bound counts the whole days the range touches); a listed
  // key left off the shortlist made at most the largest listed sum left off, plus those counts.
  // The outcomes of each day are the ones in the all-keys hours, which every flush and rebuild
  // writes with the per-key rows.
  const shortlist = async (listedPerDay: number, shortlisted: number) => {
    const [row] = await db.$queryRaw<{ keys: string[]; bound: bigint }[]>`
      WITH lists AS (
        SELECT d.day, d.outcome, t.key_id, t.requests,
               count(*) OVER w AS listed, min(t.requests) OVER w AS last
        FROM (SELECT DISTINCT date_trunc('day', hour, 'UTC') AS day, outcome FROM usage_hours
              WHERE hour >= ${cover}::timestamptz AND hour < ${end}::timestamptz) d
        CROSS JOIN LATERAL (
          SELECT key_id, requests FROM usage_key_days k
          WHERE k.day = d.day AND k.outcome = d.outcome AND k.key_id <> ''
          ORDER BY requests DESC
          LIMIT ${listedPerDay}::int
        ) t
        WINDOW w AS (PARTITION BY d.day, d.outcome)
      ), unlisted AS (
        SELECT coalesce(sum(last), 0) AS most
        FROM (SELECT DISTINCT day, outcome, CASE WHEN listed = ${listedPerDay}::int THEN last ELSE 0 END AS last FROM lists) l
      ), partial AS (
        SELECT key_id, row_number() OVER (ORDER BY sum(requests) DESC, key_id) AS rank, sum(requests) AS listed_sum
        FROM lists GROUP BY key_id
      )
      SELECT coalesce((SELECT array_agg(key_id) FROM partial WHERE rank <= ${shortlisted}::int), '{}') AS keys,
             ((SELECT most FROM unlisted) + coalesce((SELECT max(listed_sum) FROM partial WHERE rank > ${shortlisted}::int), 0))::bigint AS bound`;
    return { keys: row.keys, bound: toCount(row.bound) };
  };

  for (const [listedPerDay, shortlisted] of SHORTLISTS) {
    const { keys, bound } = await shortlist(listedPerDay, shortlisted);
    if (bound === 0 && keys.length === 0) return [];
    const candidates = await ranked(keys);
    // Strictly above: a key off the shortlist with the same total could come first by its id.
    if (bound === 0 || (candidates.length === limit && candidates[limit - 1].total > bound)) return candidates;
  }
  return ranked(null);
}

/**
 * Most requested method and path pairs in the hours overlapping [from, to): whole UTC days from
 * the per-path days, the hours at either edge from the per-path hours.
 */
export async function topPaths(db: Db, query: RangeQuery): Promise<PathUsage[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  const { hoursFrom, daysFrom, daysTo, to } = daysAndEdgeHours(query.from, query.to);
  const rows = await db.$queryRaw<{ method: string; path: string; total: bigint; outcome: string; n: bigint }[]>`
    WITH per_outcome AS (
      SELECT method, path, outcome, sum(n)::bigint AS n
      FROM (
        SELECT method, path, outcome, requests AS n FROM usage_path_days
        WHERE day >= ${daysFrom}::timestamptz AND day < ${daysTo}::timestamptz
        UNION ALL
        SELECT method, path, outcome, requests FROM usage_path_hours
        WHERE hour >= ${hoursFrom}::timestamptz AND hour < ${daysFrom}::timestamptz
        UNION ALL
        SELECT method, path, outcome, requests FROM usage_path_hours
        WHERE hour >= ${daysTo}::timestamptz AND hour < ${to}::timestamptz
      ) u
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

/** Client addresses sending the most unknown or malformed keys (`invalid_key`) in the hours overlapping [from, to). */
export async function invalidAttemptsByIp(db: Db, query: RangeQuery): Promise<InvalidAttempts[]> {
  checkRange(query.from, query.to);
  const limit = checkLimit(query.limit);
  const from = instant(new Date(floorTo(query.from.getTime(), HOUR_MS)));
  const rows = await db.$queryRaw<{ ip: string; n: bigint; first_ms: number; last_ms: number }[]>`
    SELECT ip, sum(attempts)::bigint AS n,
           (extract(epoch FROM min(first_at)) * 1000)::float8 AS first_ms,
           (extract(epoch FROM max(last_at)) * 1000)::float8 AS last_ms
    FROM usage_invalid_addresses
    WHERE hour >= ${from}::timestamptz AND hour < ${instant(query.to)}::timestamptz
    GROUP BY ip
    ORDER BY n DESC, last_ms DESC, ip
    LIMIT ${limit}::int`;
  return rows.map((row) => ({
    // "" is how the table stores an unknown address.
    ip: row.ip === "" ? null : row.ip,
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
  const columns = Prisma.sql`id::text AS id, key_id, outcome, method, path, status, latency_ms, ip, at, (extract(epoch FROM at) * 1000)::float8 AS at_ms, id AS seq`;
  // Every list reads an index in (at, id) order and stops after the page: the primary key, the
  // key's index, or, per outcome asked for, the outcome's index, whose pages are then merged.
  // id breaks ties between events written in the same millisecond.
  const rows = await db.$queryRaw<
    { id: string; key_id: string | null; outcome: string; method: string; path: string; status: number; latency_ms: number; ip: string | null; at_ms: number }[]
  >(
    outcomes.length === 0
      ? Prisma.sql`
          SELECT ${columns} FROM usage_events
          ${conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty}
          ORDER BY at DESC, seq DESC
          LIMIT ${limit}::int`
      : Prisma.sql`
          SELECT e.* FROM unnest(${[...new Set(outcomes)]}::text[]) AS o(outcome)
          CROSS JOIN LATERAL (
            SELECT ${columns} FROM usage_events
            WHERE ${Prisma.join([Prisma.sql`usage_events.outcome = o.outcome`, ...conditions], " AND ")}
            ORDER BY usage_events.at DESC, usage_events.id DESC
            LIMIT ${limit}::int
          ) e
          ORDER BY e.at DESC, e.seq DESC
          LIMIT ${limit}::int`,
  );
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
