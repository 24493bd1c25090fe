import { describe, expect, it } from "vitest";

import { isoTimestamp } from "../../lib/observability/iso-timestamp";

describe("isoTimestamp", () => {
  it("writes what Date.toISOString writes, across seconds, days, years and the range's ends", () => {
    const samples = [
      0, 1, 9, 10, 99, 100, 999, 1000, 1001, 59_999, 60_000, 1_733_170_000_123, 1_733_170_000_999, 1_733_170_001_000, 1_733_170_000_007, 951_782_399_999,
      951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -1000, 1.5,
    ];
    // In and out of order, so a cached second is reused and replaced.
    for (const ms of [...samples, ...samples.toReversed(), ...samples]) expect(isoTimestamp(ms), String(ms)).toBe(new Date(ms).toISOString());
  });

  it("matches Date for a run of consecutive milliseconds", () => {
    const start = Date.UTC(2026, 11, 31, 23, 59, 59, 0);
    for (let ms = start - 50; ms < start + 2_050; ms++) expect(isoTimestamp(ms)).toBe(new Date(ms).toISOString());
  });
});
