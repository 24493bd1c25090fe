import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { getDb } from "@/lib/db/client";
import { retryDelivery } from "@/lib/webhooks/delivery-log";

// POST /api/v1/webhooks/{id}/deliveries/{deliveryId}/retry - send a delivery again at the next worker round
export const POST = withApiKey<{ id: string; deliveryId: string }>({ scopes: ["webhooks:write"] }, async (_request, { params, actor }) => {
  const { id, deliveryId } = await params;
  await retryDelivery(getDb(), id, deliveryId, actor);
  return new Response(null, { status: 202 });
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
