import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { rollWebhookSecret } from "@/lib/webhooks/endpoint-service";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// POST /api/v1/webhooks/{id}/secret - roll the signing secret; the new one is in this response only
export const POST = withApiKey(contracts.rollWebhookSecret, async (_request, { params, actor, respond }) => {
  const { id } = await params;
  return respond({ secret: await rollWebhookSecret(getDb(), id, actor, webhookConfig()) });
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
