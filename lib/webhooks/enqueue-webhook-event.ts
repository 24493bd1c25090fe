import type { Prisma } from "../db/generated/client";
import { newId } from "../db/ids";
import type { WebhookEventType } from "./event-types";

// The outbox side of delivery (DESIGN.md section 15.5): called with the transaction that makes
// the change, so an event exists exactly when its cause committed. One row per endpoint that
// is enabled and subscribed; the worker sends them later from whichever instance is free.

type Tx = Prisma.TransactionClient;

export async function enqueueWebhookEvent(tx: Tx, type: WebhookEventType, data: Record<string, unknown>, at: Date = new Date()): Promise<number> {
  const endpoints = await tx.webhookEndpoint.findMany({ where: { enabled: true, events: { has: type } }, select: { id: true } });
  if (endpoints.length === 0) return 0;
  const body = JSON.stringify({ type, timestamp: at.toISOString(), data });
  await tx.webhookDelivery.createMany({
    data: endpoints.map((endpoint) => ({ id: newId("whd"), endpointId: endpoint.id, eventType: type, body })),
  });
  return endpoints.length;
}
