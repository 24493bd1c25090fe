import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { createScopeRequest, listScopesResponse, scopeRecord } from "@/lib/scopes/schemas";
import { createScope, listScopes } from "@/lib/scopes/service";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// GET /api/v1/scopes - the scope catalogue, with how many keys hold each scope
export const GET = withApiKey({ scopes: ["keys:read"] }, async () =>
  Response.json(listScopesResponse.parse({ data: await listScopes(getDb()) })),
);

// POST /api/v1/scopes - add a scope to the catalogue
export const POST = withApiKey({ scopes: ["keys:write"] }, async (request, { actor }) => {
  const body = await readJson(request, createScopeRequest);
  return Response.json(scopeRecord.parse(await createScope(getDb(), body, actor)), { status: 201 });
});

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
