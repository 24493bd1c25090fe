import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { getDb } from "@/lib/db/client";
import { rollWebhookSecret } from "@/lib/webhooks/endpoint-service";
import { webhookSecretResponse } from "@/lib/webhooks/schemas";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// POST /api/v1/webhooks/{id}/secret - roll the signing secret; the new one is in this response only
export const POST = withApiKey<{ id: string }>({ scopes: ["webhooks:write"] }, async (_request, { params, actor }) => {
  const { id } = await params;
  const secret = await rollWebhookSecret(getDb(), id, actor, webhookConfig());
  return Response.json(webhookSecretResponse.parse({ secret }));
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
