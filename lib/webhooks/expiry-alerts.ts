import type { Db } from "../db/client";
import type { ApiKey } from "../db/generated/client";
import { presentKey } from "../keys/present-key";
import { markAlert } from "./alert-marks";
import { enqueueWebhookEvent } from "./enqueue-webhook-event";

// key.expiring (7 days and 1 day before expiresAt, once each) and key.expired (DESIGN.md
// section 15.5). Nothing happens to a key when it expires, so a job looks for them. It runs on
// one instance at a time: the transaction takes a PostgreSQL advisory lock and the others skip
// their turn (docs/architecture.md says why not a job queue). The alert marks, committed with the
// events, make "once each" hold even so; a key whose expiresAt changes is a new subject.

const DAY_MS = 86_400_000;
// Keys that expired while every instance was down still get their event, up to this far back.
const EXPIRED_LOOKBACK_MS = 7 * DAY_MS;
const BATCH = 1_000;
const LOCK_NAME = "keyhold.webhooks.expiry";

/** One pass; false when another instance holds the lock. */
export async function runExpiryAlerts(db: Db, now = Date.now()): Promise<boolean> {
  return db.$transaction(
    async (tx) => {
      const [lock] = await tx.$queryRaw<{ locked: boolean }[]>`SELECT pg_try_advisory_xact_lock(hashtext(${LOCK_NAME})) AS locked`;
      if (!lock?.locked) return false;
      const at = new Date(now).toISOString();
      const keys = await tx.$queryRaw<{ id: string }[]>`
        SELECT id FROM api_keys
        WHERE revoked_at IS NULL AND expires_at > ${at}::timestamptz - make_interval(secs => ${EXPIRED_LOOKBACK_MS / 1000}::float8)
          AND expires_at <= ${at}::timestamptz + interval '7 days'
        ORDER BY expires_at LIMIT ${BATCH}::int`;
      const records = await tx.apiKey.findMany({ where: { id: { in: keys.map((key) => key.id) } }, orderBy: { expiresAt: "asc" } });
      for (const record of records) await alertFor(tx, record, now);
      return true;
    },
    { timeout: 60_000 },
  );
}

type Tx = Parameters<Parameters<Db["$transaction"]>[0]>[0];

async function alertFor(tx: Tx, record: ApiKey, now: number): Promise<void> {
  const expiresAt = record.expiresAt!;
  const subject = `${record.id}@${expiresAt.toISOString()}`;
  const left = expiresAt.getTime() - now;
  if (left <= 0) {
    if (await markAlert(tx, "key.expired", subject)) await enqueueWebhookEvent(tx, "key.expired", { key: presentKey(record, now) });
    return;
  }
  // A key that expires within a day gets only the 1-day warning; the 7-day one is marked spent.
  const sevenDay = await markAlert(tx, "key.expiring.7d", subject);
  const oneDay = left <= DAY_MS && (await markAlert(tx, "key.expiring.1d", subject));
  if (oneDay) await enqueueWebhookEvent(tx, "key.expiring", { key: presentKey(record, now), expiresAt: expiresAt.toISOString(), within: "1d" });
  else if (sevenDay) await enqueueWebhookEvent(tx, "key.expiring", { key: presentKey(record, now), expiresAt: expiresAt.toISOString(), within: "7d" });
}
