import { nextRefillAt, type Refill } from "../quota/refill-period";

/** "Refills to 1,000 daily, next at 2026-12-03 00:00 UTC", as the key page and the CLI show it. */
export function describeRefill(refill: Refill, now = Date.now()): string {
  const next = new Date(nextRefillAt(refill.interval, now)).toISOString().slice(0, 16).replace("T", " ");
  return `Refills to ${refill.amount.toLocaleString("en-US")} ${refill.interval}, next at ${next} UTC`;
}
