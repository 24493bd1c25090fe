import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { createWebhookEndpoint, listWebhookEndpoints, presentWebhook } from "@/lib/webhooks/endpoint-service";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// POST /api/v1/webhooks - add an endpoint; its signing secret is in this response only
export const POST = withApiKey(contracts.createWebhook, async (_request, { actor, body, respond }) => {
  const { endpoint, secret } = await createWebhookEndpoint(getDb(), await body(), actor, webhookConfig());
  return respond({ ...presentWebhook(endpoint), secret });
});

// GET /api/v1/webhooks - list endpoints, newest first
export const GET = withApiKey(contracts.listWebhooks, async (_request, { respond }) => {
  const endpoints = await listWebhookEndpoints(getDb());
  return respond({ data: endpoints.map(presentWebhook) });
});

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
