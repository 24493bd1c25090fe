import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";

// GET /api/v1/whoami - the calling key's identity
export const GET = withApiKey(contracts.whoami, async (_request, { key, respond }) =>
  respond({
    keyId: key.id,
    name: key.name,
    ownerId: key.ownerId,
    environment: key.environment,
    scopes: [...key.scopes],
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    ratelimit: key.ratelimit,
  }),
);

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
