"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis, type TooltipContentProps } from "recharts";

import { formatNumber } from "@/lib/locale/format-number";

import { useLocale } from "../ui/locale-context";

const COLORS: Record<string, string> = {
  valid: "#15803d",
  rate_limited: "#b45309",
  quota_exceeded: "#a16207",
  invalid_key: "#b91c1c",
  expired_key: "#6b7280",
  revoked_key: "#7f1d1d",
  insufficient_scope: "#7c3aed",
  ip_not_allowed: "#c2410c",
  missing_key: "#9ca3af",
  unavailable: "#1d4ed8",
};
const FALLBACK = ["#0e7490", "#be185d", "#4d7c0f", "#374151"];
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
type Granularity = keyof typeof BUCKET_MS;

export interface ChartPoint {
  at: string;
  counts: Record<string, number>;
}

/**
 * Requests per bucket of [from, to), stacked by outcome. The series holds only buckets with
 * events; the empty ones are drawn too, or one busy hour would fill a whole day's chart.
 */
export function UsageChart({
  series,
  granularity,
  from,
  to,
  label,
}: {
  series: ChartPoint[];
  granularity: Granularity;
  from: string;
  to: string;
  label: string;
}) {
  const locale = useLocale();
  const outcomes = [...new Set(series.flatMap((point) => Object.keys(point.counts)))].sort((a, b) =>
    a === "valid" ? -1 : b === "valid" ? 1 : a.localeCompare(b),
  );
  const buckets = everyBucket(series, granularity, from, to);
  const total = series.reduce((sum, point) => sum + Object.values(point.counts).reduce((a, b) => a + b, 0), 0);
  // An empty range reads as a sentence: an empty frame with a 0-1 axis looks like a broken chart.
  if (total === 0) {
    return (
      <figure className="rounded-lg border border-dashed border-zinc-300 bg-white p-6 text-center text-sm text-zinc-600" aria-label={label}>
        <figcaption>No requests in this range.</figcaption>
      </figure>
    );
  }
  const byAt = new Map(buckets.map((point) => [point.at, point]));
  // Over several days, hours alone do not say which day it was: the axis then marks each UTC midnight.
  const midnights =
    granularity === "hour" && Date.parse(to) - Date.parse(from) > BUCKET_MS.day
      ? buckets.filter((point) => point.at.slice(11, 16) === "00:00").map((point) => point.at)
      : undefined;
  return (
    <figure className="rounded-lg border border-zinc-200 bg-white p-3" aria-label={label}>
      <figcaption className="sr-only">
        {label}: {formatNumber(total, locale)} requests
        {outcomes
          .map(
            (outcome) =>
              `, ${outcome} ${formatNumber(
                series.reduce((sum, point) => sum + (point.counts[outcome] ?? 0), 0),
                locale,
              )}`,
          )
          .join("")}
      </figcaption>
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={buckets.map((point) => ({ at: point.at, ...point.counts }))} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis
              dataKey="at"
              ticks={midnights}
              tickFormatter={(value: string) => tick(value, midnights ? "day" : granularity)}
              fontSize={11}
              minTickGap={24}
            />
            <YAxis allowDecimals={false} fontSize={11} width="auto" tickFormatter={(value: number) => formatNumber(value, locale)} />
            <Tooltip
              cursor={{ fill: "#f4f4f5" }}
              isAnimationActive={false}
              content={(props: TooltipContentProps) => {
                const point = props.active && typeof props.label === "string" ? byAt.get(props.label) : undefined;
                return point ? <BucketTooltip point={point} granularity={granularity} outcomes={outcomes} locale={locale} /> : null;
              }}
            />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {outcomes.map((outcome, index) => (
              <Bar key={outcome} dataKey={outcome} stackId="outcomes" fill={color(outcome, index)} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

/** What a bar stands for: its bucket's span in UTC and each outcome's count, zeros included. */
function BucketTooltip({ point, granularity, outcomes, locale }: { point: ChartPoint; granularity: Granularity; outcomes: string[]; locale: string }) {
  const total = Object.values(point.counts).reduce((a, b) => a + b, 0);
  return (
    <div role="status" className="rounded-md border border-zinc-200 bg-white px-3 py-2 text-xs shadow-md">
      <p className="mb-1 font-medium text-zinc-900">{bucketSpan(point.at, granularity)}</p>
      <dl className="grid grid-cols-[auto_auto] gap-x-4 gap-y-0.5">
        {outcomes.map((outcome, index) => (
          <div key={outcome} className="contents">
            <dt className="flex items-center gap-1.5 text-zinc-700">
              <span aria-hidden className="inline-block size-2 rounded-sm" style={{ background: color(outcome, index) }} />
              {outcome}
            </dt>
            <dd className="text-right tabular-nums">{formatNumber(point.counts[outcome] ?? 0, locale)}</dd>
          </div>
        ))}
        <dt className="border-t border-zinc-100 pt-0.5 font-medium">total</dt>
        <dd className="border-t border-zinc-100 pt-0.5 text-right font-medium tabular-nums">{formatNumber(total, locale)}</dd>
      </dl>
    </div>
  );
}

function color(outcome: string, index: number): string {
  return COLORS[outcome] ?? FALLBACK[index % FALLBACK.length]!;
}

function everyBucket(series: ChartPoint[], granularity: Granularity, from: string, to: string): ChartPoint[] {
  const size = BUCKET_MS[granularity];
  // Buckets start on whole UTC minutes, hours and days, as the query truncates them.
  const byStart = new Map(series.map((point) => [Date.parse(point.at), point]));
  const points: ChartPoint[] = [];
  for (let at = Math.floor(Date.parse(from) / size) * size; at < Date.parse(to); at += size) {
    points.push(byStart.get(at) ?? { at: new Date(at).toISOString(), counts: {} });
    byStart.delete(at);
  }
  // Anything the range did not cover (it should not happen) is still drawn rather than lost.
  return [...points, ...byStart.values()].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

function tick(iso: string, granularity: Granularity): string {
  return granularity === "day" ? iso.slice(5, 10) : iso.slice(11, 16);
}

/** "2026-12-02 14:00–15:00 UTC", or the day itself for daily buckets. */
function bucketSpan(iso: string, granularity: Granularity): string {
  const start = iso.slice(0, 10) + " " + iso.slice(11, 16);
  if (granularity === "day") return `${iso.slice(0, 10)} (UTC day)`;
  const end = new Date(Date.parse(iso) + BUCKET_MS[granularity]).toISOString().slice(11, 16);
  return `${start}–${end} UTC`;
}
