import type { Db } from "../db/client";

// The one statement by which instances share a window's budget (lib/ratelimit/limiter.ts):
// takes up to what is asked from ratelimit_windows, never past the window's capacity.

export interface LeaseRequest {
  keyId: string;
  windowStart: number;
  windowMs: number;
  /** How much the previous window still counts: 1 − progress through this one. */
  weight: number;
  limit: number;
  /** What to ask for while other instances lease this window too. */
  shared: number;
  /** What to ask for while this instance is the only one leasing it. */
  sole: number;
  /** Leased by this instance in this window so far. */
  mine: number;
  /** Tokens this instance leased in the previous window and never handed out, given back first. */
  giveBack: number;
}

export interface LeaseAnswer {
  /** Leased by every instance in this window, this lease included. */
  used: number;
  grant: number;
  /** Leased by every instance in the previous window. */
  prevUsed: number;
}

export async function leaseWindow(db: Db, request: LeaseRequest): Promise<LeaseAnswer> {
  const { keyId, weight, limit, shared, sole, mine, giveBack } = request;
  const windowStart = new Date(request.windowStart);
  const previousStart = new Date(request.windowStart - request.windowMs);
  // capacity: the limit less the previous window's weighted count. An instance whose own
  // leases are all the window has seen (used = mine) is alone on this key: it may take up to
  // half of what is left, so it asks rarely while another instance still finds budget. In SET,
  // ratelimit_windows.* is the row before this update, so last_grant is exactly what this call
  // got. GREATEST(0, ...) keeps a lowered limit from giving budget back. Giving back unspent
  // tokens of the ended window cannot admit anything more in it; it only stops them from
  // weighing on this one. Every statement in a WITH sees the same snapshot, so the previous
  // count is read from the give-back's RETURNING when there was one.
  const rows = await db.$queryRaw<{ used: number; last_grant: number; prev_used: number }[]>`
    WITH given AS (
      UPDATE ratelimit_windows SET used = GREATEST(0, used - ${giveBack}::int)
      WHERE ${giveBack}::int > 0 AND key_id = ${keyId} AND window_start = ${previousStart}::timestamptz
      RETURNING used
    ), prev AS (
      SELECT COALESCE(
        (SELECT used FROM given),
        (SELECT used FROM ratelimit_windows WHERE key_id = ${keyId} AND window_start = ${previousStart}::timestamptz),
        0) AS used
    ), cap AS (
      SELECT used AS prev_used, ${limit}::int - CEIL(used * ${weight}::float8)::int AS capacity FROM prev
    )
    INSERT INTO ratelimit_windows (key_id, window_start, used, last_grant)
    SELECT ${keyId}, ${windowStart}::timestamptz, g, g
    FROM (SELECT GREATEST(0, LEAST(${sole}::int, GREATEST(1, CEIL(capacity / 2.0)::int), capacity)) AS g FROM cap) AS first
    ON CONFLICT (key_id, window_start) DO UPDATE SET
      used = ratelimit_windows.used + (SELECT GREATEST(0, LEAST(
        CASE WHEN ratelimit_windows.used = ${mine}::int THEN GREATEST(1, LEAST(${sole}::int, CEIL((capacity - ratelimit_windows.used) / 2.0)::int)) ELSE ${shared}::int END,
        capacity - ratelimit_windows.used)) FROM cap),
      last_grant = (SELECT GREATEST(0, LEAST(
        CASE WHEN ratelimit_windows.used = ${mine}::int THEN GREATEST(1, LEAST(${sole}::int, CEIL((capacity - ratelimit_windows.used) / 2.0)::int)) ELSE ${shared}::int END,
        capacity - ratelimit_windows.used)) FROM cap)
    RETURNING used, last_grant, (SELECT prev_used FROM cap) AS prev_used`;
  const row = rows[0];
  if (!row) throw new Error("lease returned no row");
  return { used: Number(row.used), grant: Number(row.last_grant), prevUsed: Number(row.prev_used) };
}
