import type { Metadata } from "next";
import Link from "next/link";

import { KeyStatusBadge } from "@/components/keys/key-status-badge";
import { EmptyState } from "@/components/ui/empty-state";
import { Num } from "@/components/ui/number";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { EventsTable } from "@/components/usage/events-table";
import { UsageChart } from "@/components/usage/usage-chart";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { DENIED_OUTCOMES } from "@/lib/errors/error-codes";
import { countActiveKeys } from "@/lib/keys/count-active-keys";
import { keysExpiringWithin } from "@/lib/keys/key-overview";
import { EXPIRING_SOON_MS } from "@/lib/keys/key-status";
import { usageSeries } from "@/lib/usage/query-usage";
import { recentEvents } from "@/lib/usage/usage-summary";

export const metadata: Metadata = { title: "Overview" };

export default async function OverviewPage() {
  await requireUser();
  const db = getDb();
  const now = new Date();
  const dayAgo = new Date(now.getTime() - 86_400_000);
  const [activeKeys, series, expiring, denied] = await Promise.all([
    countActiveKeys(db, now),
    usageSeries(db, { keyId: null, from: dayAgo, to: now, granularity: "hour" }),
    keysExpiringWithin(db, now, EXPIRING_SOON_MS, 10),
    recentEvents(db, { outcome: [...DENIED_OUTCOMES], limit: 10 }),
  ]);
  let requests = 0;
  let denials = 0;
  for (const point of series) {
    for (const [outcome, count] of Object.entries(point.counts)) {
      requests += count;
      if (outcome !== "valid") denials += count;
    }
  }

  return (
    <>
      <PageHeader title="Overview" description="The last 24 hours." />
      <div className="mb-6 grid grid-cols-1 gap-2 sm:grid-cols-3 sm:gap-3">
        <Stat label="Active keys" value={activeKeys} />
        <Stat label="Requests, 24 h" value={requests} />
        <Stat label="Denied, 24 h" value={denials} />
      </div>
      <section aria-labelledby="traffic" className="mb-6">
        <h2 id="traffic" className="mb-2 font-semibold">
          Requests by outcome
        </h2>
        <UsageChart series={series} granularity="hour" from={dayAgo.toISOString()} to={now.toISOString()} label="Requests in the last 24 hours by outcome" />
      </section>
      <div className="grid grid-cols-1 gap-6">
        <section aria-labelledby="expiring">
          <h2 id="expiring" className="mb-2 font-semibold">
            Expiring in the next 7 days
          </h2>
          {expiring.length === 0 ? (
            <EmptyState title="No keys expire in the next 7 days." />
          ) : (
            <ul className="divide-y divide-zinc-100 rounded-lg border border-zinc-200 bg-white text-sm">
              {expiring.map((key) => (
                <li key={key.id} className="flex flex-wrap items-center justify-between gap-2 px-3 py-2">
                  <Link href={`/keys/${key.id}`} className="text-blue-800 hover:underline">
                    {key.name} <span className="font-mono text-xs text-zinc-600">{key.start}…</span>
                  </Link>
                  <span className="flex items-center gap-2 whitespace-nowrap">
                    <KeyStatusBadge status="active" expiresAt={key.expiresAt} /> <Time date={key.expiresAt} />
                  </span>
                </li>
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="denied">
          <h2 id="denied" className="mb-2 font-semibold">
            Recent denied requests
          </h2>
          <EventsTable events={denied} label="Recent denied requests table" showKey />
        </section>
      </div>
    </>
  );
}

// On a phone, label and figure share a line: three stacked cards pushed the chart off the screen.
function Stat({ label, value }: { label: string; value: number }) {
  return (
    <div className="flex items-baseline justify-between gap-3 rounded-lg border border-zinc-200 bg-white px-4 py-3 sm:block sm:py-4">
      <p className="text-xs text-zinc-600">{label}</p>
      <p className="text-2xl font-semibold">
        <Num value={value} />
      </p>
    </div>
  );
}
