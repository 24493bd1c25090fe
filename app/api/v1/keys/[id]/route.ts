import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { updateKeyRequest } from "@/lib/keys/schemas";
import { getKey, updateKey } from "@/lib/keys/service";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

type Params = { id: string };

// GET /api/v1/keys/{id} - one key, never its secret or hash
export const GET = withApiKey<Params>({ scopes: ["keys:read"] }, async (_request, { params }) => {
  const { id } = await params;
  return Response.json(presentKey(await getKey(getDb(), id)));
});

// PATCH /api/v1/keys/{id} - change name, scopes, expiry, rate limit, quota or metadata
export const PATCH = withApiKey<Params>({ scopes: ["keys:write"] }, async (request, { params, actor }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const body = await readJson(request, updateKeyRequest);
  const { expiresAt, ...rest } = body;
  const record = await updateKey(
    getDb(),
    id,
    { ...rest, ...(expiresAt !== undefined ? { expiresAt: expiresAt === null ? null : new Date(expiresAt) } : {}) },
    actor,
  );
  return Response.json(presentKey(record));
});

const otherMethod = methodNotAllowed("GET, PATCH");
export { otherMethod as POST, otherMethod as PUT, otherMethod as DELETE };
