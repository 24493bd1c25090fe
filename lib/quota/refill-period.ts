import type { RefillInterval } from "../db/generated/client";

// Refill periods are UTC days and calendar months (DESIGN.md section 15.3), so every instance
// agrees on where one starts without talking to the others.

const DAY_MS = 86_400_000;

/** A key's refill setting: `remaining` is set to `amount` at the first use of each period. */
export type Refill = { interval: RefillInterval; amount: number };

/** Epoch ms at which the period holding `now` started. */
export function refillPeriodStart(interval: RefillInterval, now: number): number {
  if (interval === "daily") return Math.floor(now / DAY_MS) * DAY_MS;
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
}

/** Epoch ms at which the next period starts: when the next refill becomes due. */
export function nextRefillAt(interval: RefillInterval, now: number): number {
  if (interval === "daily") return refillPeriodStart(interval, now) + DAY_MS;
  const date = new Date(now);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}
