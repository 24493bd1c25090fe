import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import type { Prisma } from "../db/generated/client";

// The database side of quota leases (lib/quota/quota-leases.ts): one conditional UPDATE per
// lease, and at the first lease of a refill period, the refill and its audit entry in the same
// transaction. Row locks make both exact across instances: a refill happens once per period
// whoever asks first, and no two leases hand out the same credit.

export interface LeaseRequest {
  keyId: string;
  /** Granted all or nothing: less than this in the database grants none. */
  least: number;
  /** Up to this many when the database holds them. */
  want: number;
  /** For a key with a refill: the current period's start, epoch ms; null when known done. */
  refillFrom: number | null;
  now: number;
}

export interface LeaseAnswer {
  granted: number;
  /** What the key has left in the database after this lease. */
  remaining: number;
  quotaResetAt: number;
}

type Tx = Prisma.TransactionClient;

/** The credits leased, or null when the key has no quota (or no longer exists). */
export async function leaseCredits(db: Db, request: LeaseRequest): Promise<LeaseAnswer | null> {
  const { refillFrom } = request;
  if (refillFrom === null) return lease(db, request);
  return db.$transaction(async (tx) => {
    await refillIfDue(tx, request.keyId, refillFrom, request.now);
    return lease(tx, request);
  });
}

async function lease(db: Db | Tx, { keyId, least, want }: LeaseRequest): Promise<LeaseAnswer | null> {
  // The CTE locks the row and reads its latest remaining, which the UPDATE then spends from.
  const rows = await db.$queryRaw<{ remaining: number; granted: number; quota_reset_at: Date }[]>`
    WITH cur AS (
      SELECT id, remaining FROM api_keys WHERE id = ${keyId} AND remaining IS NOT NULL FOR UPDATE
    ), lease AS (
      SELECT id, CASE WHEN remaining >= ${least}::int THEN LEAST(remaining, ${want}::int) ELSE 0 END AS granted FROM cur
    )
    UPDATE api_keys k SET remaining = k.remaining - lease.granted
    FROM lease WHERE k.id = lease.id
    RETURNING k.remaining, lease.granted, k.quota_reset_at`;
  const row = rows[0];
  if (!row) return null;
  return { granted: Number(row.granted), remaining: Number(row.remaining), quotaResetAt: row.quota_reset_at.getTime() };
}

// Sets remaining to the refill amount when the quota was last set before this period began:
// the first instance to lease in a period refills, the others find it done.
async function refillIfDue(tx: Tx, keyId: string, periodStart: number, now: number): Promise<void> {
  const rows = await tx.$queryRaw<{ previous: number; amount: number; interval: string }[]>`
    WITH cur AS (SELECT id, remaining FROM api_keys WHERE id = ${keyId} FOR UPDATE)
    UPDATE api_keys k SET remaining = k.refill_amount, quota_reset_at = ${new Date(now)}::timestamptz
    FROM cur
    WHERE k.id = cur.id AND k.remaining IS NOT NULL AND k.refill_amount IS NOT NULL AND k.refill_interval IS NOT NULL
      AND k.quota_reset_at < ${new Date(periodStart)}::timestamptz
    RETURNING cur.remaining AS previous, k.refill_amount AS amount, k.refill_interval::text AS interval`;
  const refilled = rows[0];
  if (!refilled) return;
  await writeAudit(tx, {
    actor: { type: "system", id: null },
    action: "key.refill",
    targetType: "key",
    targetId: keyId,
    data: {
      interval: refilled.interval,
      amount: Number(refilled.amount),
      previous: Number(refilled.previous),
      periodStart: new Date(periodStart).toISOString(),
    },
  });
}

/** Gives leased credits back unless the quota was set anew since; the number returned. */
export async function returnCredits(db: Db, keyId: string, credits: number, generation: number): Promise<number> {
  const updated = await db.$executeRaw`
    UPDATE api_keys SET remaining = remaining + ${credits}::int
    WHERE id = ${keyId} AND remaining IS NOT NULL AND quota_reset_at = ${new Date(generation)}::timestamptz`;
  return updated > 0 ? credits : 0;
}
