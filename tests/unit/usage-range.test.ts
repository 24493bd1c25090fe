import { describe, expect, it } from "vitest";

import { ApiError } from "../../lib/errors/api-error";
import { usageRange } from "../../lib/usage/usage-range";

// DESIGN.md section 15.2: per-minute counts are kept as long as raw events, so a minute query
// reaching further back is 400 naming granularity; latency is kept per hour (issue 17).

const now = new Date("2026-11-23T12:00:00Z");

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error("no error");
}

describe("usageRange", () => {
  it("answers minutes within the raw retention period, and hours and days beyond it", () => {
    expect(usageRange({ granularity: "minute", from: "2026-11-16T12:00:00Z" }, now, 7)).toEqual({ from: new Date("2026-11-16T12:00:00Z"), to: now });
    expect(usageRange({ granularity: "hour", from: "2026-10-01T00:00:00Z" }, now, 7).from).toEqual(new Date("2026-10-01T00:00:00Z"));
    expect(usageRange({ granularity: "day", include: "latency", from: "2026-10-01T00:00:00Z" }, now, 7).to).toEqual(now);
  });

  it("refuses minutes further back than the raw retention period, naming granularity", () => {
    const error = refusal(() => usageRange({ granularity: "minute", from: "2026-11-16T11:59:59Z" }, now, 7));
    expect(error).toMatchObject({ code: "bad_request", status: 400, details: [{ path: "granularity", message: "minute reaches back 7 days" }] });
    expect(error.message).toBe("Counts per minute are kept 7 days; choose granularity hour or day for a range reaching further back.");
    expect(refusal(() => usageRange({ granularity: "minute", from: "2026-11-21T00:00:00Z" }, now, 1)).details).toEqual([
      { path: "granularity", message: "minute reaches back 1 day" },
    ]);
  });

  it("refuses latency by the minute, naming include", () => {
    expect(refusal(() => usageRange({ granularity: "minute", include: "latency" }, now, 7))).toMatchObject({
      code: "bad_request",
      details: [{ path: "include", message: "needs granularity hour or day" }],
    });
  });
});
