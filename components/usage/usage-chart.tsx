"use client";

import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
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
  missing_key: "#9ca3af",
  unavailable: "#1d4ed8",
};
const FALLBACK = ["#0e7490", "#be185d", "#4d7c0f", "#374151"];
const BUCKET_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;

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
  granularity: "minute" | "hour" | "day";
  from: string;
  to: string;
  label: string;
}) {
  const locale = useLocale();
  const outcomes = [...new Set(series.flatMap((point) => Object.keys(point.counts)))].sort((a, b) => (a === "valid" ? -1 : b === "valid" ? 1 : a.localeCompare(b)));
  const data = everyBucket(series, granularity, from, to).map((point) => ({ at: point.at, ...point.counts }));
  const total = series.reduce((sum, point) => sum + Object.values(point.counts).reduce((a, b) => a + b, 0), 0);
  if (series.length === 0) {
    return <p className="rounded-lg border border-dashed border-zinc-300 bg-white p-6 text-center text-sm text-zinc-600">No requests in this range.</p>;
  }
  return (
    <figure className="rounded-lg border border-zinc-200 bg-white p-3" aria-label={label}>
      <figcaption className="sr-only">
        {label}: {formatNumber(total, locale)} requests
        {outcomes.map((outcome) => `, ${outcome} ${formatNumber(series.reduce((sum, point) => sum + (point.counts[outcome] ?? 0), 0), locale)}`).join("")}
      </figcaption>
      <div className="h-64 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: -16 }}>
            <CartesianGrid strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="at" tickFormatter={(value: string) => tick(value, granularity)} fontSize={11} minTickGap={24} />
            <YAxis allowDecimals={false} fontSize={11} tickFormatter={(value: number) => formatNumber(value, locale)} />
            <Tooltip labelFormatter={(value) => String(value).replace("T", " ").slice(0, 16) + " UTC"} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            {outcomes.map((outcome, index) => (
              <Bar key={outcome} dataKey={outcome} stackId="outcomes" fill={COLORS[outcome] ?? FALLBACK[index % FALLBACK.length]} isAnimationActive={false} />
            ))}
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}

function everyBucket(series: ChartPoint[], granularity: "minute" | "hour" | "day", from: string, to: string): ChartPoint[] {
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

function tick(iso: string, granularity: "minute" | "hour" | "day"): string {
  return granularity === "day" ? iso.slice(5, 10) : iso.slice(11, 16);
}
