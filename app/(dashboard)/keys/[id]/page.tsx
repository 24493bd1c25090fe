import type { Metadata } from "next";
import Link from "next/link";
import { notFound } from "next/navigation";

import { AuditTable } from "@/components/audit/audit-table";
import { KeyActions } from "@/components/keys/key-actions";
import { KeyVitals } from "@/components/keys/key-vitals";
import { MetadataValue } from "@/components/keys/metadata-value";
import { Num } from "@/components/ui/number";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { AddressesTable } from "@/components/usage/addresses-table";
import { EventsTable } from "@/components/usage/events-table";
import { PerformanceCharts } from "@/components/usage/performance-charts";
import { UsageChart } from "@/components/usage/usage-chart";
import { can } from "@/lib/access/permissions";
import { listAuditEntries } from "@/lib/audit/query-audit";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { ApiError } from "@/lib/errors/api-error";
import { describeRefill } from "@/lib/keys/describe-refill";
import { metaOf } from "@/lib/keys/key-meta";
import { keyStatus } from "@/lib/keys/key-status";
import { ratelimitOf } from "@/lib/keys/ratelimit-of";
import { refillOf } from "@/lib/keys/refill-of";
import { getKey } from "@/lib/keys/service";
import { listScopes } from "@/lib/scopes/service";
import { keyAddresses } from "@/lib/usage/key-addresses";
import { latencySeries, usageSeries } from "@/lib/usage/query-usage";
import { ratelimitPressure } from "@/lib/usage/ratelimit-pressure";
import { recentEvents } from "@/lib/usage/usage-summary";

export const metadata: Metadata = { title: "Key" };

const RANGES = {
  "24h": { ms: 86_400_000, granularity: "hour", label: "24 hours" },
  "7d": { ms: 7 * 86_400_000, granularity: "hour", label: "7 days" },
  "30d": { ms: 30 * 86_400_000, granularity: "day", label: "30 days" },
} as const;

export default async function KeyPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ range?: string }> }) {
  const user = await requireUser();
  const { id } = await params;
  const { range: rangeParam } = await searchParams;
  const range = rangeParam && rangeParam in RANGES ? (rangeParam as keyof typeof RANGES) : "24h";
  const db = getDb();
  const key = await getKey(db, id).catch((error) => {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    throw error;
  });
  const now = new Date();
  const from = new Date(now.getTime() - RANGES[range].ms);
  const [previous, successors, series, credits, performance, lastHour, events, addresses, audit, scopes] = await Promise.all([
    key.rotatedFromId ? db.apiKey.findUnique({ where: { id: key.rotatedFromId }, select: { id: true, name: true, start: true } }) : null,
    db.apiKey.findMany({ where: { rotatedFromId: key.id }, select: { id: true, name: true, start: true, createdAt: true }, orderBy: { createdAt: "asc" } }),
    usageSeries(db, { keyId: key.id, from, to: now, granularity: RANGES[range].granularity }),
    key.remaining === null ? null : usageSeries(db, { keyId: key.id, from, to: now, granularity: RANGES[range].granularity, measure: "credits" }),
    latencySeries(db, { keyId: key.id, from, to: now, granularity: RANGES[range].granularity }),
    usageSeries(db, { keyId: key.id, from: new Date(now.getTime() - 3_600_000), to: now, granularity: "minute" }),
    recentEvents(db, { keyId: key.id, limit: 20 }),
    keyAddresses(db, key.id, now),
    listAuditEntries(db, { targetType: "key", targetId: key.id, limit: 20 }),
    listScopes(db),
  ]);
  const status = keyStatus(key, now.getTime());
  const ratelimit = ratelimitOf(key);
  const refill = refillOf(key);
  // Spent means admitted: a refused use's cost was asked for, never taken.
  const creditsSpent = credits?.flatMap((point) => (point.counts.valid ? [{ at: point.at, counts: { credits: point.counts.valid } }] : []));
  const inGrace = successors.length > 0 && status === "active" && key.expiresAt !== null;
  const lastHourCount = lastHour.reduce((sum, point) => sum + (point.counts.valid ?? 0), 0);
  const lastHourRequests = lastHour.reduce((sum, point) => sum + Object.values(point.counts).reduce((a, b) => a + b, 0), 0);
  const meta = metaOf(key.meta);

  return (
    <>
      <PageHeader
        title={key.name}
        description={`${key.start}… · ${key.environment}`}
        actions={
          can(user, "changeKeys") && (
            <KeyActions
              scopeNames={scopes.map((scope) => scope.name)}
              apiKey={{
                id: key.id,
                name: key.name,
                scopes: key.scopes,
                expiresAt: key.expiresAt?.toISOString() ?? null,
                ratelimit,
                remaining: key.remaining,
                refill,
                ipAllowlist: key.ipAllowlist,
                meta,
                revoked: status === "revoked",
              }}
            />
          )
        }
      />
      {inGrace && (
        <div role="status" className="mb-4 rounded-lg border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
          This key was rotated and stops working <Time date={key.expiresAt} />.{" "}
          {lastHourCount > 0 ? (
            <strong>
              It is still in use: <Num value={lastHourCount} /> successful requests in the last hour (last used <Time date={key.lastUsedAt} />
              ).
            </strong>
          ) : (
            <>
              No successful requests in the last hour
              {key.lastUsedAt && (
                <>
                  {" "}
                  (last used <Time date={key.lastUsedAt} />)
                </>
              )}
              .
            </>
          )}
        </div>
      )}
      <KeyVitals
        status={status}
        expiresAt={key.expiresAt}
        revokedReason={key.revokedReason}
        lastUsedAt={key.lastUsedAt}
        lastAddress={addresses[0]?.ip ?? null}
        lastHour={{ requests: lastHourRequests, refused: lastHourRequests - lastHourCount }}
        remaining={key.remaining}
        refill={refill ? `${describeRefill(refill, now.getTime())}.` : undefined}
        ratelimit={ratelimit}
        pressure={ratelimit && ratelimitPressure(lastHour, ratelimit)}
      />
      <dl className="mb-6 grid grid-cols-1 gap-x-6 gap-y-2 rounded-lg border border-zinc-200 bg-white p-4 text-sm sm:grid-cols-2 lg:grid-cols-3">
        <Item label="Owner">{key.ownerId ?? "none"}</Item>
        <Item label="Id">
          <span className="font-mono text-xs">{key.id}</span>
        </Item>
        <Item label="Scopes">{key.scopes.length ? <span className="font-mono text-xs">{key.scopes.join(", ")}</span> : "none"}</Item>
        <Item label="Expires">
          <Time date={key.expiresAt} empty="never" />
        </Item>
        <Item label="IP allowlist">
          {key.ipAllowlist.length > 0 ? <span className="font-mono text-xs break-all">{key.ipAllowlist.join(", ")}</span> : "any address"}
        </Item>
        <Item label="Created">
          <Time date={key.createdAt} />
        </Item>
        {key.revokedAt && (
          <Item label="Revoked">
            <Time date={key.revokedAt} />
          </Item>
        )}
        <Item label="Metadata">
          <MetadataValue meta={meta} />
        </Item>
      </dl>

      <section aria-labelledby="history" className="mb-6">
        <h2 id="history" className="mb-2 font-semibold">
          Rotation history
        </h2>
        {!previous && successors.length === 0 ? (
          <p className="text-sm text-zinc-600">This key has not been rotated.</p>
        ) : (
          <ul className="text-sm">
            {previous && (
              <li>
                Replaces{" "}
                <Link className="text-blue-800 underline" href={`/keys/${previous.id}`}>
                  {previous.start}…
                </Link>
              </li>
            )}
            {successors.map((successor) => (
              <li key={successor.id}>
                Replaced by{" "}
                <Link className="text-blue-800 underline" href={`/keys/${successor.id}`}>
                  {successor.start}…
                </Link>{" "}
                (<Time date={successor.createdAt} />)
              </li>
            ))}
          </ul>
        )}
      </section>

      <section aria-labelledby="usage" className="mb-6">
        <div className="mb-2 flex flex-wrap items-center justify-between gap-2">
          <h2 id="usage" className="font-semibold">
            Usage
          </h2>
          <nav aria-label="Usage range" className="flex gap-1 text-sm">
            {(Object.keys(RANGES) as (keyof typeof RANGES)[]).map((name) => (
              <Link
                key={name}
                href={`/keys/${key.id}?range=${name}`}
                aria-current={name === range ? "true" : undefined}
                className={`rounded px-2 py-1 ${name === range ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-200"}`}
              >
                {RANGES[name].label}
              </Link>
            ))}
          </nav>
        </div>
        <UsageChart
          series={series}
          granularity={RANGES[range].granularity}
          from={from.toISOString()}
          to={now.toISOString()}
          label={`Requests with this key in the last ${RANGES[range].label}, by outcome`}
        />
        {creditsSpent && (
          <div className="mt-3">
            <UsageChart
              series={creditsSpent}
              granularity={RANGES[range].granularity}
              from={from.toISOString()}
              to={now.toISOString()}
              label={`Credits spent from this key's quota in the last ${RANGES[range].label}`}
            />
          </div>
        )}
        <div className="mt-3">
          <PerformanceCharts series={performance} granularity={RANGES[range].granularity} label={`this key, last ${RANGES[range].label}`} />
        </div>
      </section>

      <section aria-labelledby="used-from" className="mb-6">
        <h2 id="used-from" className="mb-2 font-semibold">
          Used from
        </h2>
        <p className="mb-2 text-sm text-zinc-600">Client addresses that sent this key in the last 30 days, most recent first.</p>
        <AddressesTable addresses={addresses} />
      </section>

      <section aria-labelledby="events" className="mb-6">
        <h2 id="events" className="mb-2 font-semibold">
          Recent requests
        </h2>
        <EventsTable events={events} label="Recent requests with this key" />
      </section>

      <section aria-labelledby="audit">
        <h2 id="audit" className="mb-2 font-semibold">
          Audit trail
        </h2>
        <AuditTable entries={audit.data} label="Changes to this key" />
      </section>
    </>
  );
}

function Item({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div>
      <dt className="text-xs text-zinc-600">{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}
