import type { Db } from "../db/client";
import { instant } from "./query-usage";

// Raw usage events are kept for KEYHOLD_USAGE_RETENTION_DAYS; the per-minute rollups, which
// the charts read, are kept for good (DESIGN.md section 8).

const DAY_MS = 86_400_000;

export interface PruneOptions {
  olderThan: Date;
  batchSize?: number;
  /** Checked between batches, so shutdown does not wait for a whole backlog to go. */
  signal?: AbortSignal;
}

/** Deletes raw events with `at` before `olderThan`; returns how many were deleted. */
export async function pruneUsageEvents(db: Db, options: PruneOptions): Promise<number> {
  const { olderThan, signal } = options;
  const batchSize = options.batchSize ?? 5_000;
  if (!(olderThan instanceof Date) || Number.isNaN(olderThan.getTime())) throw new Error("olderThan must be a valid date");
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error("batchSize must be a whole number of at least 1");

  const cutoff = instant(olderThan);
  let total = 0;
  // One statement per batch, each its own transaction: row locks and WAL stay small, the
  // recorder's inserts never wait behind a long delete, and a failure keeps what went before.
  while (!signal?.aborted) {
    const deleted = await db.$executeRaw`
      DELETE FROM usage_events
      WHERE id IN (
        SELECT id FROM usage_events
        WHERE at < ${cutoff}::timestamptz
        ORDER BY id
        LIMIT ${batchSize}::int
      )`;
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}

export interface UsagePrunerOptions {
  db: Db;
  retentionDays: number;
  intervalMs?: number;
  /** Delay before the first run, so pruning does not compete with startup. */
  firstRunDelayMs?: number;
  batchSize?: number;
  now?: () => number;
}

export interface UsagePruner {
  /** Prunes now, or joins the run already going; resolves with how many events it deleted. */
  runNow(): Promise<number>;
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

export function startUsagePruner(options: UsagePrunerOptions): UsagePruner {
  const { db, retentionDays } = options;
  const intervalMs = options.intervalMs ?? 3_600_000;
  const firstRunDelayMs = options.firstRunDelayMs ?? 10_000;
  const now = options.now ?? Date.now;
  if (!Number.isInteger(retentionDays) || retentionDays < 1) throw new Error("retentionDays must be a whole number of at least 1");
  if (!(intervalMs > 0)) throw new Error("intervalMs must be positive");

  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | null = null;
  let running: Promise<number> | null = null;

  const run = (): Promise<number> => {
    if (controller.signal.aborted) return Promise.resolve(0);
    running ??= pruneUsageEvents(db, {
      olderThan: new Date(now() - retentionDays * DAY_MS),
      batchSize: options.batchSize,
      signal: controller.signal,
    }).finally(() => {
      running = null;
    });
    return running;
  };

  // The next run is scheduled only once this one has ended, so runs never overlap however long
  // a backlog takes.
  const schedule = (delay: number) => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      timer = null;
      run()
        .catch((error: unknown) => {
          console.error(`usage: pruning events older than ${retentionDays} days failed (${describeError(error)}); retrying in ${formatDelay(intervalMs)}`);
        })
        .finally(() => schedule(intervalMs));
    }, delay);
    // Housekeeping must never keep the process alive.
    timer.unref();
  };
  schedule(firstRunDelayMs);

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
