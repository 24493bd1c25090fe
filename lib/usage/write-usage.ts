import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";
import { isoTimestamp } from "../observability/iso-timestamp";
import { UsageAggregate, type CountedEvent } from "./aggregate-usage";
import { latencyBucket } from "./latency-histogram";
import type { StoredEvent } from "./usage-buffer";

// One flush of the usage buffer (DESIGN.md section 15.2): the raw rows, the derived rows and
// last_used_at commit together or not at all. Without hooks that is one statement (one round
// trip); with hooks, one transaction that the hooks join.

/** What one flush writes: raw events, tallies of requests refused without a lookup, and last uses. */
export interface UsageBatch {
  events: readonly StoredEvent[];
  tallies: readonly CountedEvent[];
  /** Key id to the newest use being written to last_used_at, epoch milliseconds. */
  lastUsed: ReadonlyMap<string, number>;
}

/**
 * Runs inside the flush's transaction, after its rows are written: whatever follows from usage
 * (quota or spike alerts, say) commits with it, and a hook that throws fails the flush, which
 * keeps the batch buffered and retries it; see writeUsage's onHookError for the way out.
 */
export type UsageFlushHook = (tx: Prisma.TransactionClient, batch: UsageBatch) => Promise<void>;

/** The event as the derived tables count it. */
export function countedEvent(event: StoredEvent): CountedEvent {
  return {
    keyId: event.keyId,
    outcome: event.outcome,
    method: event.method,
    path: event.path,
    status: event.status,
    bucket: latencyBucket(event.latencyMs),
    at: event.at,
    ip: event.ip,
    cost: event.cost,
    count: 1,
  };
}

export function usageStatement(batch: UsageBatch): { sql: string; params: unknown[] } {
  const { events, tallies, lastUsed } = batch;
  const aggregate = new UsageAggregate();
  for (const event of events) aggregate.add(countedEvent(event));
  for (const tally of tallies) aggregate.add(tally);

  // The raw rows as one JSON array of rows rather than an array parameter per column: the driver
  // quotes and escapes every element of an array parameter in JavaScript, which cost more CPU
  // per event than the request that made it; JSON.stringify is native and PostgreSQL parses once.
  const rows = JSON.stringify(events.map((e) => [e.keyId, e.outcome, e.method, e.path, e.status, e.latencyMs, e.ip, isoTimestamp(e.at), e.cost]));
  const params: unknown[] = [rows];
  const ids = [...lastUsed.keys()].sort();
  params.push(
    ids,
    ids.map((id) => isoTimestamp(lastUsed.get(id)!)),
  );
  const derived = aggregate.writes(params.length + 1);
  params.push(...derived.params);

  // A data-modifying CTE runs exactly once even when nothing reads its output.
  const ctes = [
    `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at, cost)
  SELECT e->>0, e->>1, e->>2, e->>3, (e->>4)::int4, (e->>5)::real, e->>6, (e->>7)::timestamptz, (e->>8)::int4
  FROM jsonb_array_elements($1::jsonb) AS e`,
    `UPDATE api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.at)
  FROM unnest($2::text[], $3::timestamptz[]) AS u(id, at)
  WHERE k.id = u.id`,
    ...derived.ctes,
  ];
  return { sql: `WITH ${ctes.map((cte, i) => `w${i} AS (\n  ${cte}\n)`).join(",\n")}\nSELECT 1`, params };
}

/**
 * With `onHookError`, a hook that throws is rolled back to a savepoint and reported there, and
 * the usage commits without it; the flush still fails when the transaction itself is lost.
 */
export async function writeUsage(db: Db, batch: UsageBatch, hooks: readonly UsageFlushHook[], onHookError?: (error: unknown) => void): Promise<void> {
  const { sql, params } = usageStatement(batch);
  if (hooks.length === 0) {
    await db.$executeRawUnsafe(sql, ...params);
    return;
  }
  await db.$transaction(async (tx) => {
    await tx.$executeRawUnsafe(sql, ...params);
    for (const hook of hooks) {
      if (!onHookError) {
        await hook(tx, batch);
        continue;
      }
      await tx.$executeRawUnsafe("SAVEPOINT usage_flush_hook");
      try {
        await hook(tx, batch);
      } catch (error) {
        await tx.$executeRawUnsafe("ROLLBACK TO SAVEPOINT usage_flush_hook");
        onHookError(error);
      }
    }
  });
}
