// Latency as a histogram with fixed, logarithmic buckets (issue 17): histograms of two hours or
// two keys add up bucket by bucket, so a percentile over any range comes from the derived rows
// without raw events, and its error is bounded by the bucket width: each bucket spans a factor
// of RATIO, and a percentile is reported as its bucket's geometric middle, so it is within
// sqrt(RATIO) - 1 (3.9%) of the exact value.

const MIN_MS = 0.01;
const RATIO = 1.08;
/** The last bucket holds everything from about 16 minutes up. */
export const MAX_BUCKET = 240;

/**
 * The lower bounds of buckets 1 to MAX_BUCKET, in ms. A rebuild passes these very numbers to
 * PostgreSQL's width_bucket(), so the flush and a rebuild always agree on a bucket.
 */
export const BUCKET_BOUNDS: readonly number[] = Array.from({ length: MAX_BUCKET }, (_, i) => MIN_MS * RATIO ** i);

/** Sparse counts: bucket index to count. */
export type Histogram = Map<number, number>;

/**
 * The bucket of a latency: how many bounds are at or below it (0 below 0.01 ms). The latency is
 * rounded to a 4-byte float first, as usage_events.latency_ms stores it.
 */
export function latencyBucket(latencyMs: number): number {
  const ms = Math.fround(latencyMs);
  if (!(ms >= BUCKET_BOUNDS[0])) return 0;
  let low = 0;
  let high = BUCKET_BOUNDS.length;
  // Invariant: BUCKET_BOUNDS[low] <= ms, and ms < BUCKET_BOUNDS[high] (or high is the end).
  while (high - low > 1) {
    const middle = (low + high) >>> 1;
    if (BUCKET_BOUNDS[middle] <= ms) low = middle;
    else high = middle;
  }
  return low + 1;
}

export function addToHistogram(histogram: Histogram, bucket: number, count = 1): void {
  histogram.set(bucket, (histogram.get(bucket) ?? 0) + count);
}

/** PostgreSQL array text from the first to the last used bucket: `[5:7]={1,0,3}`. */
export function histogramLiteral(histogram: Histogram): string {
  if (histogram.size === 0) return "{}";
  const buckets = [...histogram.keys()];
  const low = Math.min(...buckets);
  const high = Math.max(...buckets);
  const counts: number[] = [];
  for (let bucket = low; bucket <= high; bucket++) counts.push(histogram.get(bucket) ?? 0);
  // PostgreSQL numbers array elements from 1 unless told; bucket 0 needs the explicit bound too.
  return `[${low}:${high}]={${counts.join(",")}}`;
}

/** The histogram in an array as PostgreSQL returns it, with the first bucket's index beside it. */
export function histogramFromArray(counts: readonly number[] | null, firstBucket: number): Histogram {
  const histogram: Histogram = new Map();
  if (!counts) return histogram;
  counts.forEach((count, offset) => {
    if (count > 0) histogram.set(firstBucket + offset, count);
  });
  return histogram;
}

function bucketValue(bucket: number): number {
  if (bucket === 0) return 0;
  return MIN_MS * RATIO ** (bucket - 0.5);
}

/** Nearest-rank percentiles (q in (0, 1]), in ms; null for an empty histogram. */
export function percentiles(histogram: Histogram, qs: readonly number[]): (number | null)[] {
  let total = 0;
  for (const count of histogram.values()) total += count;
  if (total === 0) return qs.map(() => null);
  const buckets = [...histogram.keys()].sort((a, b) => a - b);
  return qs.map((q) => {
    const rank = Math.max(1, Math.ceil(q * total));
    let seen = 0;
    for (const bucket of buckets) {
      seen += histogram.get(bucket)!;
      if (seen >= rank) return bucketValue(bucket);
    }
    return bucketValue(buckets.at(-1)!);
  });
}
