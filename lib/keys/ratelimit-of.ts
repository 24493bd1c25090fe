// A key's rate limit is stored as two nullable columns and used as one setting: both set, or none.
export function ratelimitOf(row: { ratelimitLimit: number | null; ratelimitWindowMs: number | null }): { limit: number; windowMs: number } | null {
  return row.ratelimitLimit !== null && row.ratelimitWindowMs !== null ? { limit: row.ratelimitLimit, windowMs: row.ratelimitWindowMs } : null;
}
