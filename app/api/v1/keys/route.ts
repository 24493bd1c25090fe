import { readJson } from "@/lib/api/read-json";
import { readQuery } from "@/lib/api/read-query";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { listKeys } from "@/lib/keys/list-keys";
import { presentKey } from "@/lib/keys/present-key";
import { createKeyRequest, keyWithSecret, listKeysQuery, listKeysResponse } from "@/lib/keys/schemas";
import { issueKey } from "@/lib/keys/service";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// POST /api/v1/keys - issue a key; the plaintext is in this response only
export const POST = withApiKey({ scopes: ["keys:write"] }, async (request, { actor }) => {
  const body = await readJson(request, createKeyRequest);
  const { record, key } = await issueKey(
    getDb(),
    { ...body, expiresAt: body.expiresAt ? new Date(body.expiresAt) : null },
    actor,
  );
  return Response.json(keyWithSecret.parse({ ...presentKey(record), key }), { status: 201 });
});

// GET /api/v1/keys - list keys, newest first, with filters and cursor pagination
export const GET = withApiKey({ scopes: ["keys:read"] }, async (request) => {
  const query = readQuery(request.nextUrl, listKeysQuery);
  const { data, nextCursor } = await listKeys(getDb(), query);
  const now = Date.now();
  return Response.json(listKeysResponse.parse({ data: data.map((record) => presentKey(record, now)), nextCursor }));
});

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
