import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { getKey, revokeKey } from "@/lib/keys/service";

// POST /api/v1/keys/{id}/revoke - revoke at once on every instance; revoking twice is not an error
export const POST = withApiKey(contracts.revokeKey, async (_request, { params, actor, body, respond }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const input = await body();
  const record = await revokeKey(getDb(), id, input.reason ?? null, actor);
  return respond(presentKey(record));
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
