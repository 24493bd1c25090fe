import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { retryDelivery } from "@/lib/webhooks/delivery-log";

// POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/retry - send a delivery again at the next worker round
export const POST = withApiKey(contracts.retryWebhookDelivery, async (_request, { params, actor, respond }) => {
  const { id, deliveryId } = await params;
  await retryDelivery(getDb(), id, deliveryId, actor);
  return respond(null);
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
