import { auditListResponse, exportAuditQuery, listAuditQuery } from "../audit/schemas";
import {
  createWebhookRequest,
  deliveryListResponse,
  listDeliveriesQuery,
  updateWebhookRequest,
  webhookEndpoint,
  webhookListResponse,
  webhookSecretResponse,
  webhookWithSecret,
} from "../webhooks/schemas";
import type { ApiRoute } from "./openapi";

// The OpenAPI route entries of DESIGN.md sections 15.5 (webhooks) and 15.6 (audit API).

export const WEBHOOK_ID_DOC = "The webhook endpoint id, `whk_` and 22 base62 characters. Any other value, or an id that does not exist, is 404 `not_found`.";
export const DELIVERY_ID_DOC = "The delivery id, `whd_` and 22 base62 characters, of a delivery of this endpoint; otherwise 404 `not_found`.";

const AUDIT_FILTER_DOCS = {
  actorType: "Only entries by this kind of actor.",
  actorId: "Only entries by this actor (a user, key or CLI id).",
  action: "Only entries of this action, e.g. `key.revoke`.",
  targetType: "Only entries about this kind of target (`key`, `scope`, `user`, `webhook`).",
  targetId: "Only entries about this target.",
  from: "Entries at or after this time, ISO 8601.",
  to: "Entries before this time, ISO 8601; after `from`.",
};

const URL_RULES =
  "`url` must be https (http only with `KEYHOLD_WEBHOOK_ALLOW_PRIVATE=1`) and resolve to public addresses only: loopback, private, " +
  "link-local (cloud metadata) and reserved addresses are 400 naming `url`. An unknown event type is 400 naming `events`.";

export const WEBHOOK_AND_AUDIT_ROUTES: readonly ApiRoute[] = [
  {
    method: "POST",
    path: "/api/v1/webhooks",
    operationId: "createWebhook",
    summary: "Add a webhook endpoint",
    description: `The signing \`secret\` (\`whsec_\` and base64 of 32 bytes) is in this response only. ${URL_RULES} At most 100 endpoints.`,
    tag: "webhooks",
    scopes: ["webhooks:write"],
    body: { schema: createWebhookRequest },
    success: { status: 201, schema: webhookWithSecret, description: "The new endpoint and its signing secret, shown once." },
  },
  {
    method: "GET",
    path: "/api/v1/webhooks",
    operationId: "listWebhooks",
    summary: "List webhook endpoints, newest first",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    success: { status: 200, schema: webhookListResponse, description: "Every endpoint (at most 100)." },
  },
  {
    method: "GET",
    path: "/api/v1/webhooks/{id}",
    operationId: "getWebhook",
    summary: "One webhook endpoint, never its secret",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    success: { status: 200, schema: webhookEndpoint, description: "The endpoint; `disabledReason` says why it is disabled." },
  },
  {
    method: "PATCH",
    path: "/api/v1/webhooks/{id}",
    operationId: "updateWebhook",
    summary: "Change an endpoint's url, description or events, or enable or disable it",
    description: `Disabling gives up its pending deliveries; enabling starts the 24-hour failure clock afresh. ${URL_RULES}`,
    tag: "webhooks",
    scopes: ["webhooks:write"],
    body: { schema: updateWebhookRequest },
    success: { status: 200, schema: webhookEndpoint, description: "The updated endpoint." },
  },
  {
    method: "DELETE",
    path: "/api/v1/webhooks/{id}",
    operationId: "deleteWebhook",
    summary: "Remove an endpoint and its delivery log",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    success: { status: 204, schema: null, description: "Removed." },
  },
  {
    method: "POST",
    path: "/api/v1/webhooks/{id}/secret",
    operationId: "rollWebhookSecret",
    summary: "Replace the signing secret",
    description: "The old secret stops at once; deliveries still queued are signed with the new one.",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    success: { status: 200, schema: webhookSecretResponse, description: "The new secret, shown once." },
  },
  {
    method: "GET",
    path: "/api/v1/webhooks/{id}/deliveries",
    operationId: "listWebhookDeliveries",
    summary: "The endpoint's deliveries, newest first",
    description: "Kept 30 days. `status` is `pending` (waiting or being retried), `delivered` (a 2xx within 10 s) or `failed` (given up).",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    query: listDeliveriesQuery,
    queryDocs: { cursor: "The `nextCursor` of the previous page.", limit: "Page size, 1 to 100." },
    success: { status: 200, schema: deliveryListResponse, description: "One page of deliveries." },
  },
  {
    method: "POST",
    path: "/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry",
    operationId: "retryWebhookDelivery",
    summary: "Send a delivery again",
    description: "Queued for the next delivery round. A disabled endpoint must be enabled first (409 `conflict`).",
    tag: "webhooks",
    scopes: ["webhooks:write"],
    success: { status: 202, schema: null, description: "Queued." },
    errors: ["conflict"],
  },
  {
    method: "GET",
    path: "/api/v1/audit",
    operationId: "listAuditEntries",
    summary: "Audit entries, newest first",
    description: "Cursor pagination as for keys. Unknown query parameters are 400.",
    tag: "audit",
    scopes: ["audit:read"],
    query: listAuditQuery,
    queryDocs: { ...AUDIT_FILTER_DOCS, cursor: "The `nextCursor` of the previous page.", limit: "Page size, 1 to 100." },
    success: { status: 200, schema: auditListResponse, description: "One page of audit entries." },
  },
  {
    method: "GET",
    path: "/api/v1/audit/export",
    operationId: "exportAuditLog",
    summary: "The audit log as NDJSON, oldest first",
    description: "Streamed: one audit entry (the shape of `AuditEntry`) per line, read from the database a page at a time.",
    tag: "audit",
    scopes: ["audit:read"],
    query: exportAuditQuery,
    queryDocs: AUDIT_FILTER_DOCS,
    success: { status: 200, schema: null, description: "Newline-delimited JSON.", contentType: "application/x-ndjson" },
  },
];
