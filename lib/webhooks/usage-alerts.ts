import type { Prisma } from "../db/generated/client";
import { markAlert } from "./alert-marks";
import { enqueueWebhookEvent } from "./enqueue-webhook-event";
import { checkQuotaAlerts } from "./quota-alerts";

// Events derived from usage (DESIGN.md section 15.5), computed by the batched usage flush from
// the events it writes, never on the request path: verification stays as fast as before.

type Tx = Prisma.TransactionClient;

export interface FlushedEvent {
  keyId: string | null;
  outcome: string;
}

const RATELIMIT_ALERT_EVERY_MS = 10 * 60_000;
// The invalid-key throttle blocks an address for the rest of a one-minute window.
const FLOOD_ALERT_EVERY_MS = 60_000;
const SPIKE_ALERT_EVERY_MS = 60 * 60_000;
const SPIKE_MIN_REQUESTS = 100;
const SPIKE_FACTOR = 10;
// The last hour from the per-minute counts, the week before it from the per-key hourly ones
// (DESIGN.md section 15.2); per instance, a key is checked at most this often.
const SPIKE_CHECK_EVERY_MS = 60_000;
const spikeCheckedAt = new Map<string, number>();

/**
 * `events` are the flush's requests (raw events and tallies alike); `throttled` the addresses
 * the invalid-key throttle started refusing since the last flush (see throttled-addresses.ts).
 */
export async function deriveUsageAlerts(tx: Tx, events: readonly FlushedEvent[], throttled: readonly string[], now = Date.now()): Promise<void> {
  const used = new Set<string>();
  const limited = new Set<string>();
  for (const event of events) {
    if (event.keyId === null) continue;
    used.add(event.keyId);
    if (event.outcome === "rate_limited") limited.add(event.keyId);
  }
  await checkQuotaAlerts(tx, [...used]);
  for (const keyId of [...limited].sort()) {
    if (await markAlert(tx, "key.ratelimit.exceeded", keyId, RATELIMIT_ALERT_EVERY_MS)) {
      await enqueueWebhookEvent(tx, "key.ratelimit.exceeded", { keyId });
    }
  }
  for (const ip of [...new Set(throttled)].sort()) {
    if (await markAlert(tx, "security.invalid_key_flood", ip, FLOOD_ALERT_EVERY_MS)) {
      await enqueueWebhookEvent(tx, "security.invalid_key_flood", { ip });
    }
  }
  await checkSpikes(
    tx,
    [...used].filter((keyId) => now - (spikeCheckedAt.get(keyId) ?? 0) >= SPIKE_CHECK_EVERY_MS),
    now,
  );
}

async function checkSpikes(tx: Tx, keyIds: string[], now: number): Promise<void> {
  if (keyIds.length === 0) return;
  for (const keyId of keyIds) spikeCheckedAt.set(keyId, now);
  if (spikeCheckedAt.size > 100_000) spikeCheckedAt.clear();
  const at = new Date(now).toISOString();
  const rows = await tx.$queryRaw<{ key_id: string; recent: number; hourly_mean: number }[]>`
    WITH recent AS (
      SELECT key_id, sum(count)::int AS recent FROM usage_rollups
      WHERE key_id = ANY(${keyIds}::text[]) AND minute >= ${at}::timestamptz - interval '1 hour'
      GROUP BY key_id HAVING sum(count) > ${SPIKE_MIN_REQUESTS}
    )
    SELECT r.key_id, r.recent,
      coalesce((SELECT sum(requests) FROM usage_key_hours h WHERE h.key_id = r.key_id
        AND h.hour >= date_trunc('hour', ${at}::timestamptz) - interval '169 hours'
        AND h.hour < date_trunc('hour', ${at}::timestamptz) - interval '1 hour'), 0)::float8 / 168 AS hourly_mean
    FROM recent r`;
  for (const row of rows.sort((a, b) => (a.key_id < b.key_id ? -1 : 1))) {
    if (row.recent <= SPIKE_FACTOR * row.hourly_mean) continue;
    if (await markAlert(tx, "usage.spike", row.key_id, SPIKE_ALERT_EVERY_MS)) {
      await enqueueWebhookEvent(tx, "usage.spike", { keyId: row.key_id, lastHour: row.recent, hourlyMean: row.hourly_mean });
    }
  }
}
