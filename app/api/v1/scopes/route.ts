import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { createScope, listScopes } from "@/lib/scopes/service";

// GET /api/v1/scopes - the scope catalogue, with how many keys hold each scope
export const GET = withApiKey(contracts.listScopes, async (_request, { respond }) => respond({ data: await listScopes(getDb()) }));

// POST /api/v1/scopes - add a scope to the catalogue
export const POST = withApiKey(contracts.createScope, async (_request, { actor, body, respond }) => respond(await createScope(getDb(), await body(), actor)));

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
