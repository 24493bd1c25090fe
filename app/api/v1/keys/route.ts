import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { listKeys } from "@/lib/keys/list-keys";
import { presentKey } from "@/lib/keys/present-key";
import { issueKey } from "@/lib/keys/service";

// POST /api/v1/keys - issue a key; the plaintext is in this response only
export const POST = withApiKey(contracts.createKey, async (_request, { actor, body, respond }) => {
  const { record, key } = await issueKey(getDb(), await body(), actor);
  return respond({ ...presentKey(record), key });
});

// GET /api/v1/keys - list keys, newest first, with filters and cursor pagination
export const GET = withApiKey(contracts.listKeys, async (_request, { query, respond }) => {
  const { data, nextCursor } = await listKeys(getDb(), query());
  const now = Date.now();
  return respond({ data: data.map((record) => presentKey(record, now)), nextCursor });
});

const otherMethod = methodNotAllowed("GET, POST");
export { otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
