import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { verifyKeyForService } from "@/lib/keys/verify-for-service";

// POST /api/v1/keys/verify - verify a key for another service
export const POST = withApiKey(contracts.verifyKey, async (request, { ip, body, respond }) => {
  const input = await body();
  const use = { scopes: input.scopes ?? [], ip: input.ip ?? null, cost: input.cost ?? 1 };
  return respond(await verifyKeyForService(input.key, use, { method: request.method, path: request.nextUrl.pathname, ip }));
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
