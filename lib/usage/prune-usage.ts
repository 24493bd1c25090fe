import type { Db } from "../db/client";
import { DERIVED_USAGE_TABLES } from "./derived-tables";
import { dropExpiredUsagePartitions, ensureUsagePartitions } from "./usage-partitions";

// Usage retention (DESIGN.md section 15.2): raw events are kept rawRetentionDays and go a whole
// daily partition at a time, as do the per-minute counts that answer for the same period; the
// hourly and daily tables are kept retentionDays. Each run also makes the coming days' partitions.

const DAY_MS = 86_400_000;

export interface UsageRetention {
  rawRetentionDays: number;
  retentionDays: number;
}

export interface PruneOptions extends UsageRetention {
  now: Date;
  batchSize?: number;
  /** Checked between batches, so shutdown does not wait for a whole backlog to go. */
  signal?: AbortSignal;
}

export interface PruneResult {
  partitionsCreated: number;
  partitionsDropped: number;
  /** Derived rows deleted. */
  rowsDeleted: number;
}

function checkRetention(options: UsageRetention): void {
  for (const [name, days] of Object.entries(options)) {
    if (!Number.isInteger(days) || days < 1) throw new Error(`${name} must be a whole number of at least 1`);
  }
}

export async function pruneUsage(db: Db, options: PruneOptions): Promise<PruneResult> {
  checkRetention({ rawRetentionDays: options.rawRetentionDays, retentionDays: options.retentionDays });
  const batchSize = options.batchSize ?? 5_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error("batchSize must be a whole number of at least 1");
  const { now, signal } = options;
  const result: PruneResult = {
    partitionsCreated: await ensureUsagePartitions(db, options),
    partitionsDropped: await dropExpiredUsagePartitions(db, options),
    rowsDeleted: 0,
  };
  for (const { table, column, raw } of DERIVED_USAGE_TABLES) {
    const cutoff = new Date(now.getTime() - (raw ? options.rawRetentionDays : options.retentionDays) * DAY_MS).toISOString();
    // Short batches, each its own transaction: the flush's upserts never wait behind a long delete.
    while (!signal?.aborted) {
      const deleted = await db.$executeRawUnsafe(
        `DELETE FROM ${table} WHERE ctid IN (SELECT ctid FROM ${table} WHERE ${column} < $1::timestamptz LIMIT $2::int)`,
        cutoff,
        batchSize,
      );
      result.rowsDeleted += deleted;
      if (deleted < batchSize) break;
    }
  }
  return result;
}

export interface UsageMaintenanceOptions extends UsageRetention {
  db: Db;
  intervalMs?: number;
  /** Delay before the first pruning, so it does not compete with startup; partitions are made at once. */
  firstRunDelayMs?: number;
  batchSize?: number;
  now?: () => number;
}

export interface UsageMaintenance {
  /** Runs now, or joins the run already going. */
  runNow(): Promise<PruneResult>;
  /** No further runs; resolves when a run in progress has finished its current batch. */
  stop(): Promise<void>;
}

// Only the kind of failure: driver messages can carry connection details or parameter values.
function describeError(error: unknown): string {
  if (typeof error !== "object" || error === null) return typeof error;
  const e = error as { name?: unknown; code?: unknown };
  return [e.name, e.code].filter((part) => typeof part === "string" && part.length > 0).join(" ") || "unknown error";
}

function formatDelay(ms: number): string {
  return ms >= 60_000 ? `${Math.round(ms / 60_000)} min` : `${Math.max(1, Math.round(ms / 1_000))} s`;
}

export function startUsageMaintenance(options: UsageMaintenanceOptions): UsageMaintenance {
  const { db, rawRetentionDays, retentionDays } = options;
  const intervalMs = options.intervalMs ?? 3_600_000;
  const firstRunDelayMs = options.firstRunDelayMs ?? 10_000;
  const now = options.now ?? Date.now;
  checkRetention({ rawRetentionDays, retentionDays });
  if (!(intervalMs > 0)) throw new Error("intervalMs must be positive");

  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<PruneResult> | null = null;

  const run = (): Promise<PruneResult> => {
    if (controller.signal.aborted) return Promise.resolve({ partitionsCreated: 0, partitionsDropped: 0, rowsDeleted: 0 });
    running ??= pruneUsage(db, { now: new Date(now()), rawRetentionDays, retentionDays, batchSize: options.batchSize, signal: controller.signal }).finally(
      () => {
        running = null;
      },
    );
    return running;
  };
  const logFailure = (what: string) => (error: unknown) => {
    console.error(`usage: ${what} failed (${describeError(error)}); retrying in ${formatDelay(intervalMs)}`);
  };

  // The next run is scheduled only once this one has ended, so runs never overlap however long
  // a backlog takes.
  const schedule = (delay: number) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      timer = null;
      run()
        .catch(logFailure(`pruning usage older than ${rawRetentionDays} days (raw) and ${retentionDays} days (derived)`))
        .finally(() => schedule(intervalMs));
    }, delay);
    // Housekeeping must never keep the process alive.
    timer.unref();
  };
  ensureUsagePartitions(db, { now: new Date(now()), rawRetentionDays })
    .catch(logFailure("making the usage partitions of the coming days"))
    .finally(() => schedule(firstRunDelayMs));

  return {
    runNow: run,
    async stop() {
      controller.abort();
      if (timer) clearTimeout(timer);
      timer = null;
      await running?.catch(() => undefined);
    },
  };
}
