import * as auditRoutes from "./audit";
import * as keyRoutes from "./keys";
import type { RouteContract } from "./route-contract";
import * as scopeRoutes from "./scopes";
import * as serviceRoutes from "./service";
import * as verificationRoutes from "./verification";
import * as webhookRoutes from "./webhooks";

// Every route of the HTTP API (DESIGN.md section 7), by operationId. To add a route: declare its
// contract in the file of its area (or a new one imported here), then write the route file that
// binds a handler to it (docs/architecture.md, "Adding a route").
export const contracts = {
  getHealth: serviceRoutes.getHealth,
  getLiveness: serviceRoutes.getLiveness,
  getOpenApiDocument: serviceRoutes.getOpenApiDocument,
  ...verificationRoutes,
  ...keyRoutes,
  ...scopeRoutes,
  ...webhookRoutes,
  ...auditRoutes,
};

/** The same contracts as one plain list, in document order: what the OpenAPI builder and a router consume. */
export const API_CONTRACTS: readonly RouteContract[] = Object.values(contracts);
