import { describe, expect, it } from "vitest";

import type { UsagePoint } from "../../lib/usage/query-usage";
import { ratelimitPressure } from "../../lib/usage/ratelimit-pressure";

const at = (minute: number) => new Date(Date.UTC(2026, 11, 2, 10, minute)).toISOString();

describe("ratelimitPressure", () => {
  it("finds the busiest minute for a one-minute window, refused requests included", () => {
    const minutes: UsagePoint[] = [
      { at: at(0), counts: { valid: 40 } },
      { at: at(5), counts: { valid: 100, rate_limited: 20 } },
      { at: at(6), counts: { valid: 10 } },
    ];
    expect(ratelimitPressure(minutes, { limit: 100, windowMs: 60_000 })).toEqual({ peak: 120, ratio: 1.2, refused: 20 });
  });

  it("slides a longer window over consecutive minutes only", () => {
    const minutes: UsagePoint[] = [
      { at: at(0), counts: { valid: 30 } },
      { at: at(1), counts: { valid: 30 } },
      { at: at(2), counts: { valid: 30 } },
      // Outside any five-minute window that holds the first three.
      { at: at(9), counts: { valid: 50 } },
    ];
    expect(ratelimitPressure(minutes, { limit: 200, windowMs: 300_000 })).toMatchObject({ peak: 90, ratio: 0.45, refused: 0 });
  });

  it("spreads the busiest minute over a window shorter than a minute", () => {
    const minutes: UsagePoint[] = [{ at: at(3), counts: { valid: 55, insufficient_scope: 5 } }];
    expect(ratelimitPressure(minutes, { limit: 10, windowMs: 10_000 })).toEqual({ peak: 10, ratio: 1, refused: 0 });
  });

  it("is zero for a key that made no requests", () => {
    expect(ratelimitPressure([], { limit: 100, windowMs: 60_000 })).toEqual({ peak: 0, ratio: 0, refused: 0 });
  });
});
