import type { UsagePoint } from "./query-usage";

const MINUTE_MS = 60_000;

export interface RatelimitPressure {
  /** Requests in the busiest window seen; for windows under a minute, the busiest minute's share. */
  peak: number;
  /** peak / limit: 1 means the limit was reached. */
  ratio: number;
  /** Requests the limit refused in the period. */
  refused: number;
}

/**
 * How close a key came to its rate limit, from per-minute counts (derived usage, never raw
 * events). A window of a minute or more is slid over the minutes, counting every request the
 * key made; a shorter window cannot be seen at minute resolution, so the busiest minute is
 * spread evenly over it, which understates bursts; `refused` then tells the rest.
 */
export function ratelimitPressure(minutes: UsagePoint[], ratelimit: { limit: number; windowMs: number }): RatelimitPressure {
  const totals = new Map<number, number>();
  let refused = 0;
  for (const point of minutes) {
    const minute = Math.floor(Date.parse(point.at) / MINUTE_MS);
    totals.set(minute, (totals.get(minute) ?? 0) + Object.values(point.counts).reduce((a, b) => a + b, 0));
    refused += point.counts.rate_limited ?? 0;
  }
  const span = Math.max(1, Math.round(ratelimit.windowMs / MINUTE_MS));
  let peak = 0;
  for (const start of totals.keys()) {
    let sum = 0;
    for (let minute = start; minute < start + span; minute++) sum += totals.get(minute) ?? 0;
    peak = Math.max(peak, sum);
  }
  if (ratelimit.windowMs < MINUTE_MS) peak = Math.ceil((peak * ratelimit.windowMs) / MINUTE_MS);
  return { peak, ratio: peak / ratelimit.limit, refused };
}
