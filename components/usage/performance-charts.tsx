"use client";

import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";

import { formatNumber } from "@/lib/locale/format-number";

import { useLocale } from "../ui/locale-context";

export interface PerformanceChartPoint {
  at: string;
  latency: { p50: number | null; p95: number | null; p99: number | null };
  requests: number;
  status4xx: number;
  status5xx: number;
}

const LINES = [
  { key: "p50", color: "#15803d" },
  { key: "p95", color: "#b45309" },
  { key: "p99", color: "#b91c1c" },
] as const;

/**
 * Response time (p50, p95, p99 from the hourly histograms) and error rate (4xx and 5xx shares
 * of all requests) per bucket, as two charts side by side (issue 17).
 */
export function PerformanceCharts({ series, granularity, label }: { series: PerformanceChartPoint[]; granularity: "hour" | "day"; label: string }) {
  const locale = useLocale();
  if (series.length === 0) return null;
  const latency = series.map((point) => ({ at: point.at, ...point.latency }));
  const errors = series.map((point) => ({
    at: point.at,
    "4xx": (point.status4xx / point.requests) * 100,
    "5xx": (point.status5xx / point.requests) * 100,
  }));
  const requests = series.reduce((sum, point) => sum + point.requests, 0);
  const errorRate = (field: "status4xx" | "status5xx") => (series.reduce((sum, point) => sum + point[field], 0) / requests) * 100;
  // Hours alone repeat after a day: a longer series says which day each one was on.
  const manyDays = granularity === "hour" && Date.parse(series[series.length - 1]!.at) - Date.parse(series[0]!.at) >= 86_400_000;
  const tick = (iso: string) => (granularity === "day" ? iso.slice(5, 10) : manyDays ? `${iso.slice(5, 10)} ${iso.slice(11, 16)}` : iso.slice(11, 16));
  const latencyTicks = roundTicks(latency.flatMap((point) => [point.p50, point.p95, point.p99]));
  const errorTicks = roundTicks(errors.flatMap((point) => [point["4xx"], point["5xx"]]));
  const when = (value: unknown) => String(value).replace("T", " ").slice(0, 16) + " UTC";
  return (
    <div className="grid grid-cols-1 gap-3 lg:grid-cols-2">
      <figure className="rounded-lg border border-zinc-200 bg-white p-3" aria-label={`Response time, ${label}`}>
        <figcaption className="mb-1 text-sm font-medium">Response time (ms)</figcaption>
        <div className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={latency} margin={{ top: 8, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="at" tickFormatter={tick} fontSize={11} minTickGap={24} />
              <YAxis
                fontSize={11}
                ticks={latencyTicks}
                domain={[0, latencyTicks[latencyTicks.length - 1]!]}
                tickFormatter={(value: number) => formatNumber(value, locale)}
              />
              <Tooltip labelFormatter={when} formatter={(value) => `${formatNumber(Number(value), locale)} ms`} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              {LINES.map((line) => (
                <Line key={line.key} dataKey={line.key} stroke={line.color} dot={false} isAnimationActive={false} connectNulls />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
      <figure className="rounded-lg border border-zinc-200 bg-white p-3" aria-label={`Error rate, ${label}`}>
        <figcaption className="mb-1 text-sm font-medium">
          Error rate: 4xx {formatNumber(errorRate("status4xx"), locale)}%, 5xx {formatNumber(errorRate("status5xx"), locale)}% of{" "}
          {formatNumber(requests, locale)} requests
        </figcaption>
        <div className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={errors} margin={{ top: 8, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="at" tickFormatter={tick} fontSize={11} minTickGap={24} />
              <YAxis
                fontSize={11}
                ticks={errorTicks}
                domain={[0, errorTicks[errorTicks.length - 1]!]}
                tickFormatter={(value: number) => `${formatNumber(value, locale)}%`}
              />
              <Tooltip labelFormatter={when} formatter={(value) => `${formatNumber(Number(value), locale)}%`} />
              <Legend wrapperStyle={{ fontSize: 12 }} />
              <Line dataKey="4xx" stroke="#b45309" dot={false} isAnimationActive={false} />
              <Line dataKey="5xx" stroke="#b91c1c" dot={false} isAnimationActive={false} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
    </div>
  );
}

/**
 * Gridlines from 0 at a round step (1, 2 or 5 times a power of ten, and no finer than the tenth
 * that labels show), so every label is the value its line stands for: an axis at steps of 0.65
 * labelled 0.7 and 2 where the lines were 0.65 and 1.95.
 */
function roundTicks(values: (number | null)[]): number[] {
  const max = Math.max(0, ...values.filter((value): value is number => value !== null && Number.isFinite(value)));
  const rough = Math.max(max, 0.4) / 4;
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((factor) => factor * power).find((candidate) => candidate >= rough)!;
  const count = Math.max(1, Math.ceil(max / step));
  return Array.from({ length: count + 1 }, (_, index) => Math.round(index * step * 10) / 10);
}
