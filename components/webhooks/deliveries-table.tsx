import type { WebhookDeliveryJson } from "@/lib/webhooks/schemas";
import { Badge } from "../ui/badge";
import { DataTable } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";
import { RetryButton } from "./endpoint-actions";

const TONES = { pending: "amber", delivered: "green", failed: "red" } as const;

export function DeliveriesTable({ endpointId, deliveries, canRetry }: { endpointId: string; deliveries: WebhookDeliveryJson[]; canRetry: boolean }) {
  if (deliveries.length === 0) return <EmptyState title="No deliveries yet." />;
  return (
    <DataTable label="Deliveries" columns={["Event", "Status", "Attempts", "Response", "Created", "Last attempt", { title: "Actions", srOnly: true }]}>
      {deliveries.map((delivery) => (
        <tr key={delivery.id} data-delivery-id={delivery.id}>
          <td className="px-3 py-2 font-mono text-xs">
            {delivery.eventType}
            <span className="block text-zinc-600">{delivery.id}</span>
          </td>
          <td className="px-3 py-2">
            <Badge tone={TONES[delivery.status]}>{delivery.status}</Badge>
          </td>
          <td className="px-3 py-2">{delivery.attempts}</td>
          <td className="px-3 py-2">{delivery.responseStatus ?? "none"}</td>
          <td className="px-3 py-2 whitespace-nowrap">
            <Time date={delivery.createdAt} />
          </td>
          <td className="px-3 py-2 whitespace-nowrap">
            <Time date={delivery.lastAttemptAt} />
          </td>
          <td className="px-3 py-2 text-right">{canRetry && <RetryButton endpointId={endpointId} deliveryId={delivery.id} />}</td>
        </tr>
      ))}
    </DataTable>
  );
}
