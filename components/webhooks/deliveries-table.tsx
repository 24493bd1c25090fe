import type { WebhookDeliveryJson } from "@/lib/webhooks/schemas";

import { Badge } from "../ui/badge";
import { card, DataTable, numeric } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";
import { RetryButton } from "./endpoint-actions";

const TONES = { pending: "amber", delivered: "green", failed: "red" } as const;

export function DeliveriesTable({ endpointId, deliveries, canRetry }: { endpointId: string; deliveries: WebhookDeliveryJson[]; canRetry: boolean }) {
  if (deliveries.length === 0) return <EmptyState title="No deliveries yet." />;
  return (
    <DataTable
      label="Deliveries"
      columns={["Event", "Status", { title: "Attempts", numeric: true }, "Response", "Created", "Last attempt", { title: "Actions", srOnly: true }]}
      cards
    >
      {deliveries.map((delivery) => (
        <tr key={delivery.id} data-delivery-id={delivery.id}>
          <td className="px-3 py-2 font-mono text-xs wrap-anywhere">
            {delivery.eventType}
            <span className="block text-zinc-600">{delivery.id}</span>
          </td>
          <td className={`px-3 py-2 ${card.end}`}>
            <Badge tone={TONES[delivery.status]}>{delivery.status}</Badge>
          </td>
          <td
            className={`px-3 py-2 ${numeric} max-md:order-1 max-md:text-xs ${card.start} ${delivery.attempts === 1 ? "max-md:after:content-['_attempt']" : "max-md:after:content-['_attempts']"}`}
          >
            {delivery.attempts}
          </td>
          <td className="px-3 py-2 max-md:order-3 max-md:text-xs max-md:before:content-['Response_']">{delivery.responseStatus ?? "none"}</td>
          <td className={`px-3 py-2 whitespace-nowrap max-md:order-2 ${card.end}`}>
            <Time date={delivery.createdAt} />
          </td>
          <td className={`px-3 py-2 whitespace-nowrap ${card.hide}`}>
            <Time date={delivery.lastAttemptAt} />
          </td>
          <td className={`px-3 py-2 text-right max-md:order-4 ${card.end}`}>{canRetry && <RetryButton endpointId={endpointId} deliveryId={delivery.id} />}</td>
        </tr>
      ))}
    </DataTable>
  );
}
