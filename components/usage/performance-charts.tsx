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
  const tick = (iso: string) => (granularity === "day" ? iso.slice(5, 10) : iso.slice(11, 16));
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
              <YAxis fontSize={11} tickFormatter={(value: number) => formatNumber(value, locale)} />
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
          Error rate: 4xx {formatNumber(errorRate("status4xx"), locale)}%, 5xx {formatNumber(errorRate("status5xx"), locale)}% of {formatNumber(requests, locale)} requests
        </figcaption>
        <div className="h-56 w-full">
          <ResponsiveContainer width="100%" height="100%">
            <LineChart data={errors} margin={{ top: 8, right: 8, bottom: 0, left: -8 }}>
              <CartesianGrid strokeDasharray="3 3" vertical={false} />
              <XAxis dataKey="at" tickFormatter={tick} fontSize={11} minTickGap={24} />
              <YAxis fontSize={11} tickFormatter={(value: number) => `${formatNumber(value, locale)}%`} />
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
