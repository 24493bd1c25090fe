import type { Db } from "../db/client";
import { INT4_MAX } from "../db/int4";

const KEEP_ENDED_MS = 60 * 60_000;
const BATCH = 10_000;
const MAX_BATCHES = 10;

/**
 * Deletes ratelimit_windows rows whose window ended more than an hour before `now`. The table
 * does not record a window's length, so it comes from the key's current configuration; rows of
 * ids that are not keys, or of keys without a limit, are kept for the longest window an int4 can
 * describe (~24.8 days), because deleting a live window's row would hand every instance a fresh
 * budget.
 */
export async function deleteEndedWindows(db: Db, now: number): Promise<number> {
  const cutoff = new Date(now - KEEP_ENDED_MS);
  let total = 0;
  // Batches keep each statement's locks and WAL short when a backlog has built up.
  for (let batch = 0; batch < MAX_BATCHES; batch++) {
    const deleted = await db.$executeRaw`
      DELETE FROM ratelimit_windows
      WHERE (key_id, window_start) IN (
        SELECT w.key_id, w.window_start
        FROM ratelimit_windows w
        LEFT JOIN api_keys k ON k.id = w.key_id
        WHERE w.window_start < ${cutoff}::timestamptz
          AND w.window_start + COALESCE(k.ratelimit_window_ms, ${INT4_MAX}::int) * interval '1 millisecond'
              < ${cutoff}::timestamptz
        LIMIT ${BATCH}::int
      )`;
    total += deleted;
    if (deleted < BATCH) break;
  }
  return total;
}
