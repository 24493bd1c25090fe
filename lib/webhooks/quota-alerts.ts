import type { Prisma } from "../db/generated/client";
import { enqueueWebhookEvent } from "./enqueue-webhook-event";

// key.quota.low and key.quota.exhausted (DESIGN.md section 15.5). `base` is the quota last set
// or refilled: the key services reset it when they set `remaining`, and a flush that finds
// `remaining` higher than it saw last time takes that as a refill. Each alert is sent once per
// base, claimed by a conditional update so two instances' flushes cannot both send it.

type Tx = Prisma.TransactionClient;

/** `remaining` was set by a person or a rotation: alerts start over from this quota. */
export async function resetQuotaMark(tx: Tx, keyId: string, remaining: number | null): Promise<void> {
  if (remaining === null) {
    await tx.quotaMark.deleteMany({ where: { keyId } });
    return;
  }
  await tx.quotaMark.upsert({
    where: { keyId },
    create: { keyId, base: remaining, seen: remaining },
    update: { base: remaining, seen: remaining, lowSent: false, exhaustedSent: false },
  });
}

export async function checkQuotaAlerts(tx: Tx, keyIds: readonly string[]): Promise<void> {
  if (keyIds.length === 0) return;
  const ids = [...keyIds].sort();
  await tx.$executeRaw`
    INSERT INTO quota_marks (key_id, base, seen)
    SELECT id, remaining, remaining FROM api_keys WHERE id = ANY(${ids}::text[]) AND remaining IS NOT NULL
    ORDER BY id
    ON CONFLICT (key_id) DO UPDATE SET
      base = CASE WHEN EXCLUDED.seen > quota_marks.seen THEN EXCLUDED.seen ELSE quota_marks.base END,
      low_sent = quota_marks.low_sent AND EXCLUDED.seen <= quota_marks.seen,
      exhausted_sent = quota_marks.exhausted_sent AND EXCLUDED.seen <= quota_marks.seen,
      seen = EXCLUDED.seen`;
  const low = await tx.$queryRaw<{ key_id: string; remaining: number; base: number }[]>`
    UPDATE quota_marks m SET low_sent = true FROM api_keys k
    WHERE k.id = m.key_id AND m.key_id = ANY(${ids}::text[]) AND NOT m.low_sent AND m.base > 0 AND k.remaining::int8 * 10 <= m.base
    RETURNING m.key_id, k.remaining, m.base`;
  for (const row of low) await enqueueWebhookEvent(tx, "key.quota.low", { keyId: row.key_id, remaining: row.remaining, quota: row.base });
  const exhausted = await tx.$queryRaw<{ key_id: string; base: number }[]>`
    UPDATE quota_marks m SET exhausted_sent = true FROM api_keys k
    WHERE k.id = m.key_id AND m.key_id = ANY(${ids}::text[]) AND NOT m.exhausted_sent AND k.remaining = 0
    RETURNING m.key_id, m.base`;
  for (const row of exhausted) await enqueueWebhookEvent(tx, "key.quota.exhausted", { keyId: row.key_id, remaining: 0, quota: row.base });
}
