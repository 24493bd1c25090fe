import { z } from "zod";

import { defineRoute } from "./route-contract";

// The routes that need no key: health and the API's own description.

export const healthResponse = z.strictObject({ status: z.enum(["ok", "degraded"]), database: z.enum(["up", "down"]) });

export const getHealth = defineRoute({
  method: "GET",
  path: "/api/health",
  operationId: "getHealth",
  summary: "Liveness and database reachability",
  tag: "service",
  scopes: null,
  success: { status: 200, schema: healthResponse, description: "Up, and the database answers." },
  otherResponses: [{ status: 503, schema: healthResponse, description: "Degraded: the database cannot be reached." }],
});

// DESIGN.md section 15.1: the process answers, nothing else is checked, so a database outage never
// makes a load balancer restart healthy instances.
export const liveResponse = z.strictObject({ status: z.literal("ok") });

export const getLiveness = defineRoute({
  method: "GET",
  path: "/api/health/live",
  operationId: "getLiveness",
  summary: "Liveness: the process answers",
  description: "Touches neither the database nor any key: a load balancer's liveness probe. `/api/health` is the readiness probe.",
  tag: "service",
  scopes: null,
  success: { status: 200, schema: liveResponse, description: "The process is up." },
});

export const getOpenApiDocument = defineRoute({
  method: "GET",
  path: "/api/openapi.json",
  operationId: "getOpenApiDocument",
  summary: "This OpenAPI 3.1 document",
  tag: "service",
  scopes: null,
  success: { status: 200, schema: null, description: "The OpenAPI 3.1 document." },
});
