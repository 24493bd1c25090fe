import type { Metadata } from "next";
import Link from "next/link";

import { DataTable, numeric, type Column } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Num } from "@/components/ui/number";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { PerformanceCharts } from "@/components/usage/performance-charts";
import { UsageChart } from "@/components/usage/usage-chart";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { latencySeries, usageSeries } from "@/lib/usage/query-usage";
import { invalidAttemptsByIp, topKeys, topPaths } from "@/lib/usage/usage-summary";

export const metadata: Metadata = { title: "Usage" };

const RANGES = {
  "1h": { ms: 3_600_000, granularity: "minute", label: "1 hour" },
  "24h": { ms: 86_400_000, granularity: "hour", label: "24 hours" },
  "7d": { ms: 7 * 86_400_000, granularity: "hour", label: "7 days" },
  "30d": { ms: 30 * 86_400_000, granularity: "day", label: "30 days" },
} as const;

export default async function UsagePage({ searchParams }: { searchParams: Promise<{ range?: string }> }) {
  await requireUser();
  const { range: rangeParam } = await searchParams;
  const range = rangeParam && rangeParam in RANGES ? (rangeParam as keyof typeof RANGES) : "24h";
  const to = new Date();
  const from = new Date(to.getTime() - RANGES[range].ms);
  const db = getDb();
  // Latency is kept per hour, so the hour's view shows it for its hour or two.
  const performanceGranularity = RANGES[range].granularity === "day" ? "day" : "hour";
  const [series, performance, keys, paths, attempts] = await Promise.all([
    usageSeries(db, { keyId: null, from, to, granularity: RANGES[range].granularity }),
    latencySeries(db, { keyId: null, from, to, granularity: performanceGranularity }),
    topKeys(db, { from, to, limit: 10 }),
    topPaths(db, { from, to, limit: 10 }),
    invalidAttemptsByIp(db, { from, to, limit: 10 }),
  ]);

  return (
    <>
      <PageHeader
        title="Usage"
        description={`Every verification in the last ${RANGES[range].label}.`}
        actions={
          <nav aria-label="Range" className="flex gap-1 text-sm">
            {(Object.keys(RANGES) as (keyof typeof RANGES)[]).map((name) => (
              <Link
                key={name}
                href={`/usage?range=${name}`}
                aria-current={name === range ? "true" : undefined}
                className={`rounded px-2 py-1 ${name === range ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-200"}`}
              >
                {RANGES[name].label}
              </Link>
            ))}
          </nav>
        }
      />
      <section aria-labelledby="chart" className="mb-6">
        <h2 id="chart" className="mb-2 font-semibold">
          Requests by outcome
        </h2>
        <UsageChart
          series={series}
          granularity={RANGES[range].granularity}
          from={from.toISOString()}
          to={to.toISOString()}
          label={`Requests in the last ${RANGES[range].label} by outcome`}
        />
        <div className="mt-3">
          <PerformanceCharts series={performance} granularity={performanceGranularity} label={`all keys, last ${RANGES[range].label}`} />
        </div>
      </section>
      {/* Two across at most: three left a path column so narrow that every path broke mid-word. */}
      <div className="grid grid-cols-1 gap-6 xl:grid-cols-2">
        <section aria-labelledby="top-keys">
          <h2 id="top-keys" className="mb-2 font-semibold">
            Top keys
          </h2>
          {keys.length === 0 ? (
            <EmptyState title="No key was used in this range." />
          ) : (
            <Table
              label="Top keys table"
              head={["Key", { title: "Requests", numeric: true }, { title: "Denied", numeric: true }]}
              rows={keys.map((key) => [
                key.name ? (
                  <Link key="k" className="text-blue-800 hover:underline" href={`/keys/${key.keyId}`}>
                    {key.name} <span className="font-mono text-xs text-zinc-600">{key.start}…</span>
                  </Link>
                ) : (
                  <span key="k" className="font-mono text-xs">
                    {key.keyId}
                  </span>
                ),
                <Num key="n" value={key.total} />,
                <Num key="d" value={key.total - (key.counts.valid ?? 0)} />,
              ])}
            />
          )}
        </section>
        <section aria-labelledby="top-paths">
          <h2 id="top-paths" className="mb-2 font-semibold">
            Top paths
          </h2>
          {paths.length === 0 ? (
            <EmptyState title="No requests in this range." />
          ) : (
            <Table
              label="Top paths table"
              head={["Path", { title: "Requests", numeric: true }, { title: "Denied", numeric: true }]}
              rows={paths.map((path) => [
                <span key="p" className="font-mono text-xs wrap-anywhere">
                  {path.method} {path.path}
                </span>,
                <Num key="n" value={path.total} />,
                <Num key="d" value={path.total - (path.counts.valid ?? 0)} />,
              ])}
            />
          )}
        </section>
        <section aria-labelledby="attempts">
          <h2 id="attempts" className="mb-2 font-semibold">
            Invalid-key attempts by address
          </h2>
          {attempts.length === 0 ? (
            <EmptyState title="No invalid keys were sent in this range." />
          ) : (
            <Table
              label="Invalid-key attempts table"
              head={["Address", { title: "Attempts", numeric: true }, "Last"]}
              rows={attempts.map((attempt) => [
                <span key="ip" className="font-mono text-xs">
                  {attempt.ip ?? "unknown"}
                </span>,
                <Num key="n" value={attempt.count} />,
                <Time key="t" date={attempt.lastAt} />,
              ])}
            />
          )}
        </section>
      </div>
    </>
  );
}

function Table({ label, head, rows }: { label: string; head: Column[]; rows: React.ReactNode[][] }) {
  return (
    <DataTable label={label} columns={head}>
      {rows.map((cells, index) => (
        <tr key={index}>
          {cells.map((cell, column) => (
            <td key={column} className={`px-3 py-1.5 ${isNumeric(head[column]) ? numeric : ""}`}>
              {cell}
            </td>
          ))}
        </tr>
      ))}
    </DataTable>
  );
}

const isNumeric = (column: Column | undefined) => typeof column === "object" && "numeric" in column;
