import { ApiError } from "../errors/api-error";

const DAY_MS = 86_400_000;
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: DAY_MS } as const;
// Enough for 7 days by the minute or a year by the hour; more is a chart nobody can read.
const MAX_BUCKETS = 10_080;

/** The effective range of a usage query: `to` defaults to now, `from` to 24 hours before `to`. */
export function usageRange(query: { from?: Date; to?: Date; granularity: keyof typeof BUCKET_MS }): { from: Date; to: Date } {
  const to = query.to ?? new Date();
  const from = query.from ?? new Date(to.getTime() - DAY_MS);
  if (from >= to) {
    throw new ApiError("bad_request", "from must be before to.", { details: [{ path: "from", message: "not before to" }] });
  }
  if ((to.getTime() - from.getTime()) / BUCKET_MS[query.granularity] > MAX_BUCKETS) {
    throw new ApiError("bad_request", `That range has more than ${MAX_BUCKETS} ${query.granularity} buckets; choose a coarser granularity.`, {
      details: [{ path: "granularity", message: "too fine for the range" }],
    });
  }
  return { from, to };
}
