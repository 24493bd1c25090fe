import { readQuery } from "@/lib/api/read-query";
import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { getDb } from "@/lib/db/client";
import { listDeliveries } from "@/lib/webhooks/delivery-log";
import { deliveryListResponse, listDeliveriesQuery } from "@/lib/webhooks/schemas";

// GET /api/v1/webhooks/{id}/deliveries - the endpoint's deliveries, newest first, cursor pages
export const GET = withApiKey<{ id: string }>({ scopes: ["webhooks:write"] }, async (request, { params }) => {
  const { id } = await params;
  const query = readQuery(request.nextUrl, listDeliveriesQuery);
  return Response.json(deliveryListResponse.parse(await listDeliveries(getDb(), id, query)));
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
