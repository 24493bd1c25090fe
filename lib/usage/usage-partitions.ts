import type { Db } from "../db/client";

// Daily partitions of usage_events (DESIGN.md section 15.2), made and dropped by the SQL
// functions of migration 20261202110000, so the migration and the server share one definition.
// Partitions exist for the whole raw retention period and some days ahead, so a restore or a
// bulk import of past rows finds its partition; anything else lands in the default partition.

const DAY_MS = 86_400_000;
/** How many days ahead of today partitions are made. */
export const PARTITION_DAYS_AHEAD = 7;

const utcDay = (ms: number) => new Date(ms - (ms % DAY_MS)).toISOString().slice(0, 10);

/** Makes the missing partitions from `rawRetentionDays` before `now` to PARTITION_DAYS_AHEAD after; returns how many. */
export async function ensureUsagePartitions(db: Db, options: { now: Date; rawRetentionDays: number }): Promise<number> {
  const today = options.now.getTime();
  const [row] = await db.$queryRaw<{ created: number }[]>`
    SELECT count(*) FILTER (WHERE usage_events_add_partition(day::date))::int AS created
    FROM generate_series(${utcDay(today - options.rawRetentionDays * DAY_MS)}::date, ${utcDay(today + PARTITION_DAYS_AHEAD * DAY_MS)}::date, interval '1 day') AS day`;
  return row.created;
}

/**
 * Drops the partitions of days wholly older than the raw retention period (a day goes once its
 * end is more than `rawRetentionDays` ago), and the default partition's rows from then.
 */
export async function dropExpiredUsagePartitions(db: Db, options: { now: Date; rawRetentionDays: number }): Promise<number> {
  const [row] = await db.$queryRaw<{ dropped: number }[]>`
    SELECT usage_events_drop_partitions(${utcDay(options.now.getTime() - options.rawRetentionDays * DAY_MS)}::date) AS dropped`;
  return row.dropped;
}

/** The daily partitions that exist, oldest first, as YYYY-MM-DD. */
export async function listUsagePartitions(db: Db): Promise<string[]> {
  const rows = await db.$queryRaw<{ day: string }[]>`
    SELECT to_char(to_date(substr(c.relname, 14), 'YYYYMMDD'), 'YYYY-MM-DD') AS day
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'usage_events'::regclass AND c.relname ~ '^usage_events_[0-9]{8}$'
    ORDER BY 1`;
  return rows.map((row) => row.day);
}
