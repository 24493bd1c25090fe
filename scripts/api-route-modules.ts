// The route files of the HTTP API, imported statically so that both tsx (npm start) and the
// esbuild bundle of scripts/server.ts (the standalone build) carry them. Keyed by their path in
// the one route table (lib/api/contract/routes.ts); lib/server/dispatch-routes.ts refuses to
// start when the two disagree.
import * as notFound from "../app/api/[...path]/route";
import * as liveness from "../app/api/health/live/route";
import * as health from "../app/api/health/route";
import * as openApiDocument from "../app/api/openapi.json/route";
import * as auditExport from "../app/api/v1/audit/export/route";
import * as audit from "../app/api/v1/audit/route";
import * as keyAddresses from "../app/api/v1/keys/[id]/addresses/route";
import * as keyRevoke from "../app/api/v1/keys/[id]/revoke/route";
import * as keyRotate from "../app/api/v1/keys/[id]/rotate/route";
import * as key from "../app/api/v1/keys/[id]/route";
import * as keyUsage from "../app/api/v1/keys/[id]/usage/route";
import * as keys from "../app/api/v1/keys/route";
import * as verify from "../app/api/v1/keys/verify/route";
import * as scopes from "../app/api/v1/scopes/route";
import * as webhookDeliveryRetry from "../app/api/v1/webhooks/[id]/deliveries/[deliveryId]/retry/route";
import * as webhookDeliveries from "../app/api/v1/webhooks/[id]/deliveries/route";
import * as webhook from "../app/api/v1/webhooks/[id]/route";
import * as webhookSecret from "../app/api/v1/webhooks/[id]/secret/route";
import * as webhooks from "../app/api/v1/webhooks/route";
import * as whoami from "../app/api/v1/whoami/route";
import type { RouteModule } from "../lib/server/api-dispatcher";

export const API_ROUTE_MODULES: Record<string, RouteModule> = {
  "/api/health": health,
  "/api/health/live": liveness,
  "/api/openapi.json": openApiDocument,
  "/api/v1/whoami": whoami,
  "/api/v1/keys/verify": verify,
  "/api/v1/keys": keys,
  "/api/v1/keys/{id}": key,
  "/api/v1/keys/{id}/rotate": keyRotate,
  "/api/v1/keys/{id}/revoke": keyRevoke,
  "/api/v1/keys/{id}/usage": keyUsage,
  "/api/v1/keys/{id}/addresses": keyAddresses,
  "/api/v1/scopes": scopes,
  "/api/v1/webhooks": webhooks,
  "/api/v1/webhooks/{id}": webhook,
  "/api/v1/webhooks/{id}/secret": webhookSecret,
  "/api/v1/webhooks/{id}/deliveries": webhookDeliveries,
  "/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry": webhookDeliveryRetry,
  "/api/v1/audit": audit,
  "/api/v1/audit/export": auditExport,
};

/** What the API answers at any other path under it: the catch-all's 404. */
export const NOT_FOUND_MODULE: RouteModule = notFound;
