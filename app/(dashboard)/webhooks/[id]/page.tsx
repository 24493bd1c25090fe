import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { Badge } from "@/components/ui/badge";
import { CursorPager } from "@/components/ui/cursor-pager";
import { PageHeader } from "@/components/ui/page-header";
import { DeliveriesTable } from "@/components/webhooks/deliveries-table";
import { EndpointActions } from "@/components/webhooks/endpoint-actions";
import { getDb } from "@/lib/db/client";
import { ApiError } from "@/lib/errors/api-error";
import { listDeliveries } from "@/lib/webhooks/delivery-log";
import { getWebhookEndpoint } from "@/lib/webhooks/endpoint-service";

export const metadata: Metadata = { title: "Webhook endpoint" };

export default async function WebhookPage({ params, searchParams }: { params: Promise<{ id: string }>; searchParams: Promise<{ cursor?: string }> }) {
  const { id } = await params;
  const { cursor } = await searchParams;
  const endpoint = await getWebhookEndpoint(getDb(), id).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    throw error;
  });
  // A cursor no delivery matches (an edited link, a pruned row) shows the newest instead.
  const page = await listDeliveries(getDb(), id, { cursor, limit: 20 }).catch((error: unknown) => {
    if (cursor && error instanceof ApiError) return listDeliveries(getDb(), id, { limit: 20 });
    throw error;
  });
  return (
    <>
      <PageHeader
        title={endpoint.description || "Webhook endpoint"}
        description={endpoint.url}
        actions={<EndpointActions id={endpoint.id} enabled={endpoint.enabled} />}
      />
      {!endpoint.enabled && (
        <p role="status" className="mb-4 rounded-md border border-amber-300 bg-amber-50 p-3 text-sm text-amber-950">
          Disabled: it gets no events. {endpoint.disabledReason}
        </p>
      )}
      <dl className="mb-6 grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-sm">
        <dt className="text-zinc-600">Id</dt>
        <dd className="font-mono text-xs">{endpoint.id}</dd>
        <dt className="text-zinc-600">Status</dt>
        <dd>{endpoint.enabled ? <Badge tone="green">enabled</Badge> : <Badge tone="zinc">disabled</Badge>}</dd>
        <dt className="text-zinc-600">Events</dt>
        <dd className="font-mono text-xs">{endpoint.events.join(", ")}</dd>
      </dl>
      <h2 className="mb-2 text-lg font-semibold">Deliveries</h2>
      <p className="mb-2 text-sm text-zinc-600">Kept 30 days. Failed attempts are retried with growing pauses for 24 hours.</p>
      <DeliveriesTable endpointId={endpoint.id} deliveries={page.data} canRetry={endpoint.enabled} />
      <CursorPager path={`/webhooks/${endpoint.id}`} filters={{}} cursor={cursor} nextCursor={page.nextCursor} labels={{ first: "Newest", next: "Older" }} />
    </>
  );
}
