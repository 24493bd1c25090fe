import type { Actor } from "../access/actor";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import { isId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import { assertCanManageWebhooks, getWebhookEndpoint } from "./endpoint-service";
import { webhookDelivery, type WebhookDeliveryJson } from "./schemas";

// An endpoint's deliveries, newest first, a page at a time, and sending one again by hand.

export interface DeliveryPage {
  data: WebhookDeliveryJson[];
  nextCursor: string | null;
}

export async function listDeliveries(db: Db, endpointId: string, query: { cursor?: string; limit?: number } = {}): Promise<DeliveryPage> {
  await getWebhookEndpoint(db, endpointId);
  const limit = query.limit ?? 20;
  let after: { createdAt: Date; id: string } | null = null;
  if (query.cursor !== undefined) {
    const row = isId("whd", query.cursor)
      ? await db.webhookDelivery.findFirst({ where: { id: query.cursor, endpointId }, select: { createdAt: true, id: true } })
      : null;
    if (!row) throw new ApiError("bad_request", "Invalid query parameter: cursor.", { details: [{ path: "cursor", message: "is not valid" }] });
    after = row;
  }
  const rows = await db.webhookDelivery.findMany({
    where: {
      endpointId,
      ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
    },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
  });
  const page = rows.slice(0, limit);
  return {
    data: page.map((row) =>
      webhookDelivery.parse({
        id: row.id,
        eventType: row.eventType,
        status: row.status,
        attempts: row.attempts,
        responseStatus: row.responseStatus,
        createdAt: row.createdAt.toISOString(),
        lastAttemptAt: row.lastAttemptAt?.toISOString() ?? null,
      }),
    ),
    nextCursor: rows.length > limit ? page[page.length - 1]!.id : null,
  };
}

/** Due again now, whatever its state; the next worker round sends it. */
export async function retryDelivery(db: Db, endpointId: string, deliveryId: string, actor: Actor): Promise<void> {
  assertCanManageWebhooks(actor);
  const endpoint = await getWebhookEndpoint(db, endpointId);
  if (!endpoint.enabled) throw new ApiError("conflict", "This endpoint is disabled: enable it before retrying a delivery.");
  await db.$transaction(async (tx) => {
    const updated = isId("whd", deliveryId)
      ? await tx.webhookDelivery.updateMany({ where: { id: deliveryId, endpointId }, data: { status: "pending", visibleAt: new Date() } })
      : { count: 0 };
    if (updated.count === 0) throw new ApiError("not_found", "No delivery with this id for this endpoint.");
    await writeAudit(tx, { actor, action: "webhook.retry", targetType: "webhook", targetId: endpointId, data: { deliveryId } });
  });
}
