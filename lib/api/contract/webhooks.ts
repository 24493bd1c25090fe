import {
  createWebhookRequest,
  deliveryListResponse,
  listDeliveriesQuery,
  updateWebhookRequest,
  webhookEndpoint,
  webhookListResponse,
  webhookSecretResponse,
  webhookWithSecret,
} from "../../webhooks/schemas";
import { idParamDoc, PAGE_QUERY_DOCS } from "./param-docs";
import { defineRoute } from "./route-contract";

// Webhook endpoints and their deliveries (DESIGN.md section 15.5).

const ENDPOINT_ID = { id: idParamDoc("webhook endpoint", "whk") };
const URL_RULES =
  "`url` must be https (http only with `KEYHOLD_WEBHOOK_ALLOW_PRIVATE=1`) and resolve only to public addresses: loopback, private, " +
  "link-local (cloud metadata) and reserved addresses are 400 naming `url`. An unknown event type is 400 naming `events`.";

export const createWebhook = defineRoute({
  method: "POST",
  path: "/api/v1/webhooks",
  operationId: "createWebhook",
  summary: "Add a webhook endpoint",
  description: `The signing \`secret\` (\`whsec_\` and the base64 of 32 random bytes) is in this response only. ${URL_RULES} At most 100 endpoints.`,
  tag: "webhooks",
  scopes: ["webhooks:write"],
  body: { schema: createWebhookRequest },
  success: { status: 201, schema: webhookWithSecret, description: "The new endpoint and its signing secret, shown once." },
});

export const listWebhooks = defineRoute({
  method: "GET",
  path: "/api/v1/webhooks",
  operationId: "listWebhooks",
  summary: "List webhook endpoints, newest first",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  success: { status: 200, schema: webhookListResponse, description: "Every endpoint (at most 100)." },
});

export const getWebhook = defineRoute({
  method: "GET",
  path: "/api/v1/webhooks/{id}",
  operationId: "getWebhook",
  summary: "One webhook endpoint, never its secret",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: ENDPOINT_ID,
  success: { status: 200, schema: webhookEndpoint, description: "The endpoint; `disabledReason` says why it is disabled." },
});

export const updateWebhook = defineRoute({
  method: "PATCH",
  path: "/api/v1/webhooks/{id}",
  operationId: "updateWebhook",
  summary: "Change an endpoint's url, description or events, or enable or disable it",
  description: `Disabling gives up its pending deliveries; enabling starts the 24-hour failure clock afresh. ${URL_RULES}`,
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: ENDPOINT_ID,
  body: { schema: updateWebhookRequest },
  success: { status: 200, schema: webhookEndpoint, description: "The updated endpoint." },
});

export const deleteWebhook = defineRoute({
  method: "DELETE",
  path: "/api/v1/webhooks/{id}",
  operationId: "deleteWebhook",
  summary: "Remove an endpoint and its delivery log",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: ENDPOINT_ID,
  success: { status: 204, schema: null, description: "Removed." },
});

export const rollWebhookSecret = defineRoute({
  method: "POST",
  path: "/api/v1/webhooks/{id}/secret",
  operationId: "rollWebhookSecret",
  summary: "Replace the signing secret",
  description: "The old secret stops at once; deliveries still queued are signed with the new one.",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: ENDPOINT_ID,
  success: { status: 200, schema: webhookSecretResponse, description: "The new secret, shown once." },
});

export const listWebhookDeliveries = defineRoute({
  method: "GET",
  path: "/api/v1/webhooks/{id}/deliveries",
  operationId: "listWebhookDeliveries",
  summary: "The endpoint's deliveries, newest first",
  description: "Kept 30 days. `status` is `pending` (waiting or being retried), `delivered` (a 2xx within 10 s) or `failed` (given up).",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: ENDPOINT_ID,
  query: listDeliveriesQuery,
  queryDocs: PAGE_QUERY_DOCS,
  success: { status: 200, schema: deliveryListResponse, description: "One page of deliveries." },
});

export const retryWebhookDelivery = defineRoute({
  method: "POST",
  path: "/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry",
  operationId: "retryWebhookDelivery",
  summary: "Send a delivery again",
  description: "Queued for the next delivery round. A disabled endpoint must be enabled first (409 `conflict`).",
  tag: "webhooks",
  scopes: ["webhooks:write"],
  pathDocs: { ...ENDPOINT_ID, deliveryId: "The delivery id, `whd_` and 22 base62 characters, of a delivery of this endpoint; otherwise 404 `not_found`." },
  success: { status: 202, schema: null, description: "Queued." },
  errors: ["conflict"],
});
