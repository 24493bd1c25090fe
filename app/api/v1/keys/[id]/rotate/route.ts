import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { keyWithSecret, rotateKeyRequest } from "@/lib/keys/schemas";
import { getKey, rotateKey } from "@/lib/keys/service";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// POST /api/v1/keys/{id}/rotate - a new key with the same settings; the old one expires after the grace period
export const POST = withApiKey<{ id: string }>({ scopes: ["keys:write"] }, async (request, { params, actor }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const body = await readJson(request, rotateKeyRequest, { optional: true });
  const { record, key } = await rotateKey(
    getDb(),
    id,
    { gracePeriodSeconds: body.gracePeriodSeconds, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null },
    actor,
  );
  return Response.json(keyWithSecret.parse({ ...presentKey(record), key }), { status: 201 });
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
