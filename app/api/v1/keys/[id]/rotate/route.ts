import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { presentKey } from "@/lib/keys/present-key";
import { getKey, rotateKey } from "@/lib/keys/service";

// POST /api/v1/keys/{id}/rotate - a new key with the same settings; the old one expires after the grace period
export const POST = withApiKey(contracts.rotateKey, async (_request, { params, actor, body, respond }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const { gracePeriodSeconds, expiresAt } = await body();
  const { record, key } = await rotateKey(getDb(), id, { gracePeriodSeconds, expiresAt: expiresAt ?? null }, actor);
  return respond({ ...presentKey(record), key });
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
