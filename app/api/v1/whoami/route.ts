import { withApiKey } from "@/lib/api/with-api-key";
import { whoamiResponse } from "@/lib/keys/verify-schemas";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// GET /api/v1/whoami - the calling key's identity
export const GET = withApiKey({}, async (_request, { key }) =>
  Response.json(
    whoamiResponse.parse({
      keyId: key.id,
      name: key.name,
      ownerId: key.ownerId,
      environment: key.environment,
      scopes: key.scopes,
      expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
      ratelimit: key.ratelimit,
    }),
  ),
);

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
