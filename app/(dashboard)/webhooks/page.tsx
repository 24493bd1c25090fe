import type { Metadata } from "next";
import Link from "next/link";

import { Badge } from "@/components/ui/badge";
import { card, DataTable } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { AddWebhookButton } from "@/components/webhooks/add-webhook-button";
import { getDb } from "@/lib/db/client";
import { listWebhookEndpoints } from "@/lib/webhooks/endpoint-service";
import { WEBHOOK_EVENT_TYPES } from "@/lib/webhooks/event-types";
import { AUTO_DISABLED_REASON } from "@/lib/webhooks/fail-pending-deliveries";

export const metadata: Metadata = { title: "Webhooks" };

export default async function WebhooksPage() {
  const endpoints = await listWebhookEndpoints(getDb());
  const failing = endpoints.filter((endpoint) => endpoint.disabledReason === AUTO_DISABLED_REASON);
  return (
    <>
      <PageHeader
        title="Webhooks"
        description="Signed notifications to your endpoints when keys change, expire, run low or are abused."
        actions={<AddWebhookButton eventTypes={[...WEBHOOK_EVENT_TYPES]} />}
      />
      {failing.length > 0 && (
        <p role="alert" className="mb-4 rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-900">
          {failing.length === 1 ? "One endpoint was" : `${failing.length} endpoints were`} disabled because every delivery failed for 24 hours. Fix the
          receiver, then enable the endpoint again.
        </p>
      )}
      {endpoints.length === 0 ? (
        <EmptyState title="No webhook endpoints yet.">Add one to hear about key changes as they happen.</EmptyState>
      ) : (
        <DataTable label="Webhook endpoints" columns={["Endpoint", "Events", "Status", "Added"]} cards>
          {endpoints.map((endpoint) => (
            <tr key={endpoint.id}>
              <td className="px-3 py-2">
                <Link href={`/webhooks/${endpoint.id}`} className="font-mono text-xs wrap-break-word text-blue-800 hover:underline">
                  {endpoint.url}
                </Link>
                {endpoint.description && <span className="block text-xs text-zinc-600">{endpoint.description}</span>}
              </td>
              <td className="px-3 py-2 text-xs max-md:order-3">{endpoint.events.length === WEBHOOK_EVENT_TYPES.length ? "all" : endpoint.events.join(", ")}</td>
              <td className={`px-3 py-2 ${card.end}`}>
                {endpoint.enabled ? (
                  <Badge tone="green">enabled</Badge>
                ) : (
                  <Badge tone={endpoint.disabledReason === AUTO_DISABLED_REASON ? "red" : "zinc"}>disabled</Badge>
                )}
                {!endpoint.enabled && endpoint.disabledReason && <span className={`block text-xs text-zinc-600 ${card.hide}`}>{endpoint.disabledReason}</span>}
              </td>
              <td className={`px-3 py-2 whitespace-nowrap max-md:order-4 ${card.end}`}>
                <Time date={endpoint.createdAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
