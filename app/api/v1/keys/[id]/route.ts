import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { getKey, updateKey } from "@/lib/keys/service";

// GET /api/v1/keys/{id} - one key, never its secret or hash
export const GET = withApiKey(contracts.getKey, async (_request, { params, respond }) => {
  const { id } = await params;
  return respond(presentKey(await getKey(getDb(), id)));
});

// PATCH /api/v1/keys/{id} - change name, scopes, expiry, rate limit, quota or metadata
export const PATCH = withApiKey(contracts.updateKey, async (_request, { params, actor, body, respond }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const record = await updateKey(getDb(), id, await body(), actor);
  return respond(presentKey(record));
});

const otherMethod = methodNotAllowed("GET, PATCH");
export { otherMethod as POST, otherMethod as PUT, otherMethod as DELETE };
