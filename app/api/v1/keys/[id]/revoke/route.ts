import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { revokeKeyRequest } from "@/lib/keys/schemas";
import { getKey, revokeKey } from "@/lib/keys/service";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// POST /api/v1/keys/{id}/revoke - revoke at once on every instance; revoking twice is not an error
export const POST = withApiKey<{ id: string }>({ scopes: ["keys:write"] }, async (request, { params, actor }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const body = await readJson(request, revokeKeyRequest, { optional: true });
  const record = await revokeKey(getDb(), id, body.reason ?? null, actor);
  return Response.json(presentKey(record));
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
