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

/** Addresses that used the key in the last 30 UTC days (today included), most recently seen first, at most 100. */
export async function keyAddresses(db: Db, keyId: string, now = new Date()): Promise<KeyAddress[]> {
  const today = now.getTime() - (now.getTime() % DAY_MS);
  const rows = await db.$queryRaw<{ ip: string; requests: bigint; denied: bigint; last_ms: number }[]>`
    SELECT ip, sum(requests)::bigint AS requests, sum(denied)::bigint AS denied,
           (extract(epoch FROM max(last_seen_at)) * 1000)::float8 AS last_ms
    FROM usage_key_addresses
    WHERE key_id = ${keyId} AND day >= ${instant(new Date(today - (WINDOW_DAYS - 1) * DAY_MS))}::timestamptz
    GROUP BY ip
    ORDER BY last_ms DESC, ip
    LIMIT ${MAX_ADDRESSES}::int`;
  return rows.map((row) => ({ ip: row.ip, requests: toCount(row.requests), denied: toCount(row.denied), lastSeenAt: fromEpochMs(row.last_ms) }));
}
