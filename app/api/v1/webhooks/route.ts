import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { getDb } from "@/lib/db/client";
import { createWebhookEndpoint, listWebhookEndpoints, presentWebhook } from "@/lib/webhooks/endpoint-service";
import { createWebhookRequest, webhookListResponse, webhookWithSecret } from "@/lib/webhooks/schemas";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// POST /api/v1/webhooks - add an endpoint; its signing secret is in this response only
export const POST = withApiKey({ scopes: ["webhooks:write"] }, async (request, { actor }) => {
  const body = await readJson(request, createWebhookRequest);
  const { endpoint, secret } = await createWebhookEndpoint(getDb(), body, actor, webhookConfig());
  return Response.json(webhookWithSecret.parse({ ...presentWebhook(endpoint), secret }), { status: 201 });
});

// GET /api/v1/webhooks - list endpoints, newest first
export const GET = withApiKey({ scopes: ["webhooks:write"] }, async () => {
  const endpoints = await listWebhookEndpoints(getDb());
  return Response.json(webhookListResponse.parse({ data: endpoints.map(presentWebhook) }));
});

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
