import type { Db } from "../db/client";

/**
 * Keys neither revoked nor expired. The unrevoked total is kept by a trigger (key_totals), so
 * only the expired ones are counted, through the expires_at index: no scan of every key.
 */
export async function countActiveKeys(db: Db, now = new Date()): Promise<number> {
  const [row] = await db.$queryRaw<{ n: bigint }[]>`
    SELECT coalesce((SELECT unrevoked FROM key_totals WHERE id = 1), 0)
         - (SELECT count(*) FROM api_keys WHERE expires_at <= ${now.toISOString()}::timestamptz AND revoked_at IS NULL) AS n`;
  return Number(row.n);
}
