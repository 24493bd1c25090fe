import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { getDb } from "@/lib/db/client";
import { deleteWebhookEndpoint, getWebhookEndpoint, presentWebhook, updateWebhookEndpoint } from "@/lib/webhooks/endpoint-service";
import { updateWebhookRequest } from "@/lib/webhooks/schemas";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

type Params = { id: string };

// GET /api/v1/webhooks/{id} - one endpoint, never its secret
export const GET = withApiKey<Params>({ scopes: ["webhooks:write"] }, async (_request, { params }) => {
  const { id } = await params;
  return Response.json(presentWebhook(await getWebhookEndpoint(getDb(), id)));
});

// PATCH /api/v1/webhooks/{id} - change url, description, events, or enable/disable
export const PATCH = withApiKey<Params>({ scopes: ["webhooks:write"] }, async (request, { params, actor }) => {
  const { id } = await params;
  await getWebhookEndpoint(getDb(), id);
  const body = await readJson(request, updateWebhookRequest);
  return Response.json(presentWebhook(await updateWebhookEndpoint(getDb(), id, body, actor, webhookConfig())));
});

// DELETE /api/v1/webhooks/{id} - remove an endpoint and its delivery log
export const DELETE = withApiKey<Params>({ scopes: ["webhooks:write"] }, async (_request, { params, actor }) => {
  const { id } = await params;
  await deleteWebhookEndpoint(getDb(), id, actor);
  return new Response(null, { status: 204 });
});

const otherMethod = methodNotAllowed("GET, PATCH, DELETE");
export { otherMethod as POST, otherMethod as PUT };
