import type { RefillInterval } from "../db/generated/client";
import type { Refill } from "../quota/refill-period";

// A refill is stored as two nullable columns and used as one setting: both set, or none.
export function refillOf(row: { refillInterval: RefillInterval | null; refillAmount: number | null }): Refill | null {
  return row.refillInterval !== null && row.refillAmount !== null ? { interval: row.refillInterval, amount: row.refillAmount } : null;
}
