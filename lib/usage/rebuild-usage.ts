import type { Actor } from "../access/actor";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import { ApiError } from "../errors/api-error";
import type { Prisma } from "../db/generated/client";
import { UsageAggregate } from "./aggregate-usage";
import { latencyBucket } from "./latency-histogram";
import { UNLOOKED_OUTCOME_LIST } from "./usage-event";

// `usage rebuild` (DESIGN.md section 15.2): recomputes the derived usage tables of whole UTC
// days from the raw events, after a restore or a bulk import. One transaction at REPEATABLE
// READ with its audit entry: a flush committing meanwhile either happened before the snapshot
// (its raw rows are counted) or collides with the rebuilt rows and the rebuild starts over, so
// running it twice, or beside a live server, never counts an event twice.

const DAY_MS = 86_400_000;
const READ_CHUNK = 20_000;
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

// The all-keys hours are the sum of the per-key hours, the kept counts included.
const GLOBAL_HOURS = [
  `DELETE FROM usage_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz`,
  `INSERT INTO usage_hours (hour, outcome, requests, status_4xx, status_5xx, latency)
   SELECT hour, outcome, sum(requests)::int, sum(status_4xx)::int, sum(status_5xx)::int, usage_hist_sum(latency)
   FROM usage_key_hours WHERE hour >= $1::timestamptz AND hour < $2::timestamptz
   GROUP BY hour, outcome`,
];

interface RawRow {
  id: string;
  key_id: string | null;
  outcome: string;
  method: string;
  path: string;
  status: number;
  latency_ms: number;
  ip: string | null;
  at_ms: number;
}

async function rebuildIn(tx: Prisma.TransactionClient, from: string, to: string): Promise<number> {
  for (const sql of DELETES) await tx.$executeRawUnsafe(sql, from, to, UNLOOKED_OUTCOME_LIST);
  for (const sql of DELETES_RAW_ONLY) await tx.$executeRawUnsafe(sql, from, to);
  let events = 0;
  let after: { at: string; id: string } | null = null;
  for (;;) {
    // Keyset pages in primary-key order; each page costs the same however far in it is.
    const rows: RawRow[] = await tx.$queryRawUnsafe(
      `SELECT id::text AS id, key_id, outcome, method, path, status, latency_ms, ip, (extract(epoch FROM at) * 1000)::float8 AS at_ms
       FROM usage_events
       WHERE at >= $1::timestamptz AND at < $2::timestamptz AND ($3::timestamptz IS NULL OR (at, id) > ($3::timestamptz, $4::bigint))
       ORDER BY at, id
       LIMIT ${READ_CHUNK}`,
      from,
      to,
      after?.at ?? null,
      after?.id ?? null,
    );
    if (rows.length === 0) break;
    const aggregate = new UsageAggregate();
    for (const row of rows) {
      aggregate.add({
        keyId: row.key_id,
        outcome: row.outcome,
        method: row.method,
        path: row.path,
        status: row.status,
        bucket: latencyBucket(row.latency_ms),
        at: row.at_ms,
        ip: row.ip,
        // Raw events do not record a cost yet: each counts as one credit, as the flush counted it.
        cost: 1,
        count: 1,
      });
    }
    const { ctes, params } = aggregate.writes(1);
    await tx.$executeRawUnsafe(`WITH ${ctes.map((cte, i) => `w${i} AS (${cte})`).join(", ")} SELECT 1`, ...params);
    events += rows.length;
    const last = rows.at(-1)!;
    after = { at: new Date(last.at_ms).toISOString(), id: last.id };
    if (rows.length < READ_CHUNK) break;
  }
  for (const sql of GLOBAL_HOURS) await tx.$executeRawUnsafe(sql, from, to);
  return events;
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
