import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { listDeliveries } from "@/lib/webhooks/delivery-log";

// GET /api/v1/webhooks/{id}/deliveries - the endpoint's deliveries, newest first, cursor pages
export const GET = withApiKey(contracts.listWebhookDeliveries, async (_request, { params, query, respond }) => {
  const { id } = await params;
  return respond(await listDeliveries(getDb(), id, query()));
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
