import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { deleteWebhookEndpoint, getWebhookEndpoint, presentWebhook, updateWebhookEndpoint } from "@/lib/webhooks/endpoint-service";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// GET /api/v1/webhooks/{id} - one endpoint, never its secret
export const GET = withApiKey(contracts.getWebhook, async (_request, { params, respond }) => {
  const { id } = await params;
  return respond(presentWebhook(await getWebhookEndpoint(getDb(), id)));
});

// PATCH /api/v1/webhooks/{id} - change url, description, events, or enable/disable
export const PATCH = withApiKey(contracts.updateWebhook, async (_request, { params, actor, body, respond }) => {
  const { id } = await params;
  await getWebhookEndpoint(getDb(), id);
  return respond(presentWebhook(await updateWebhookEndpoint(getDb(), id, await body(), actor, webhookConfig())));
});

// DELETE /api/v1/webhooks/{id} - remove an endpoint and its delivery log
export const DELETE = withApiKey(contracts.deleteWebhook, async (_request, { params, actor, respond }) => {
  const { id } = await params;
  await deleteWebhookEndpoint(getDb(), id, actor);
  return respond(null);
});

const otherMethod = methodNotAllowed("GET, PATCH, DELETE");
export { otherMethod as POST, otherMethod as PUT };
