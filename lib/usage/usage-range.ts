import { env } from "../env";
import { ApiError } from "../errors/api-error";

const DAY_MS = 86_400_000;
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS } as const;
// Enough for 7 days by the minute or a year by the hour; more is a chart nobody can read.
const MAX_BUCKETS = 10_080;

export interface UsageRangeQuery {
  from?: string;
  to?: string;
  granularity: keyof typeof BUCKET_MS;
  include?: "latency";
}

/**
 * The effective range of a usage query: `to` defaults to now, `from` to 24 hours before `to`.
 * Minutes are kept as long as raw events (DESIGN.md section 15.2), latency per hour.
 */
export function usageRange(query: UsageRangeQuery, now = new Date(), rawRetentionDays = env().KEYHOLD_USAGE_RAW_RETENTION_DAYS): { from: Date; to: Date } {
  const to = query.to ? new Date(query.to) : now;
  const from = query.from ? new Date(query.from) : new Date(to.getTime() - DAY_MS);
  if (from >= to) {
    throw new ApiError("bad_request", "from must be before to.", { details: [{ path: "from", message: "not before to" }] });
  }
  if (query.granularity === "minute" && from.getTime() < now.getTime() - rawRetentionDays * DAY_MS) {
    throw new ApiError(
      "bad_request",
      `Counts per minute are kept ${rawRetentionDays} days; choose granularity hour or day for a range reaching further back.`,
      {
        details: [{ path: "granularity", message: `minute reaches back ${rawRetentionDays} day${rawRetentionDays === 1 ? "" : "s"}` }],
      },
    );
  }
  if ((to.getTime() - from.getTime()) / BUCKET_MS[query.granularity] > MAX_BUCKETS) {
    throw new ApiError("bad_request", `That range has more than ${MAX_BUCKETS} ${query.granularity} buckets; choose a coarser granularity.`, {
      details: [{ path: "granularity", message: "too fine for the range" }],
    });
  }
  if (query.granularity === "minute" && query.include === "latency") {
    throw new ApiError("bad_request", "Latency is kept per hour; ask for it with granularity hour or day.", {
      details: [{ path: "include", message: "needs granularity hour or day" }],
    });
  }
  return { from, to };
}
