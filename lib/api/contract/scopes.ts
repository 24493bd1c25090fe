import { createScopeRequest, listScopesResponse, scopeRecord } from "../../scopes/schemas";
import { defineRoute } from "./route-contract";

// The scope catalogue (DESIGN.md section 7).

export const listScopes = defineRoute({
  method: "GET",
  path: "/api/v1/scopes",
  operationId: "listScopes",
  summary: "The scope catalogue",
  description: "`keyCount` counts the keys holding the scope that are not revoked.",
  tag: "scopes",
  scopes: ["keys:read"],
  success: { status: 200, schema: listScopesResponse, description: "Every scope in the catalogue." },
});

export const createScope = defineRoute({
  method: "POST",
  path: "/api/v1/scopes",
  operationId: "createScope",
  summary: "Add a scope to the catalogue",
  description: "Management scopes are reserved and cannot be added. A name that exists is 409 `conflict`.",
  tag: "scopes",
  scopes: ["keys:write"],
  body: { schema: createScopeRequest },
  success: { status: 201, schema: scopeRecord, description: "The new scope." },
  errors: ["conflict"],
});
