import type { Db } from "../db/client";
import { fromEpochMs, instant, toCount } from "./query-usage";

// "Used from" (DESIGN.md section 15.4): the client addresses of one key, from the per-day
// address counts the flush writes, never from raw events.

const DAY_MS = 86_400_000;
const WINDOW_DAYS = 30;
const MAX_ADDRESSES = 100;

export interface KeyAddress {
  ip: string;
  requests: number;
  denied: number;
  lastSeenAt: string;
}

/**
 * Addresses that used the key in the last 30 UTC days (today included), most recently seen first
 * (then by ip), at most 100, with their requests and denials over those days.
 *
 * A busy key has a row per address and day (130,000 for the scale bench's busiest), and summing
 * them all to rank the addresses took 0.6-1.1 s. So the 100 are picked first, walking the key's
 * rows newest first by the (key_id, last_seen_at DESC, ip) index: an address has at most one row
 * a day, so the first 100 x (days in the window) rows name at least 100 addresses, and the first
 * 100 addresses met in that order are the 100 seen most recently. A row's last_seen_at falls in
 * its day, so `last_seen_at >= since` holds the same rows as `day >= since`. Their sums then come
 * from one primary-key probe per address and day. The window's days run up to the key's latest
 * day, so rows dated ahead (another instance's clock) count as they always did.
 */
export async function keyAddresses(db: Db, keyId: string, now = new Date()): Promise<KeyAddress[]> {
  const today = now.getTime() - (now.getTime() % DAY_MS);
  const since = instant(new Date(today - (WINDOW_DAYS - 1) * DAY_MS));
  // '24 hours', not '1 day': a day's length follows the session's time zone.
  const rows = await db.$queryRaw<{ ip: string; requests: bigint; denied: bigint; last_ms: number }[]>`
    WITH days AS (
      SELECT coalesce(array_agg(day), '{}') AS list
      FROM generate_series(${since}::timestamptz, (SELECT max(day) FROM usage_key_addresses WHERE key_id = ${keyId}), interval '24 hours') AS day
    ), recent AS (
      SELECT ip, last_seen_at FROM usage_key_addresses
      WHERE key_id = ${keyId} AND last_seen_at >= ${since}::timestamptz
      ORDER BY last_seen_at DESC, ip
      LIMIT ${MAX_ADDRESSES}::int * (SELECT greatest(cardinality(list), 1) FROM days)
    ), picked AS (
      SELECT ip, max(last_seen_at) AS last_seen FROM recent
      GROUP BY ip
      ORDER BY last_seen DESC, ip
      LIMIT ${MAX_ADDRESSES}::int
    )
    SELECT p.ip, s.requests, s.denied, (extract(epoch FROM p.last_seen) * 1000)::float8 AS last_ms
    FROM picked p
    CROSS JOIN days
    CROSS JOIN LATERAL (
      SELECT sum(a.requests)::bigint AS requests, sum(a.denied)::bigint AS denied
      FROM usage_key_addresses a
      WHERE a.key_id = ${keyId} AND a.day = ANY(days.list) AND a.ip = p.ip
    ) s
    ORDER BY p.last_seen DESC, p.ip`;
  return rows.map((row) => ({ ip: row.ip, requests: toCount(row.requests), denied: toCount(row.denied), lastSeenAt: fromEpochMs(row.last_ms) }));
}
