import { readJson } from "@/lib/api/read-json";
import { withApiKey } from "@/lib/api/with-api-key";
import { verifyKeyForService } from "@/lib/keys/verify-for-service";
import { verifyKeyRequest, verifyKeyResponse } from "@/lib/keys/verify-schemas";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// POST /api/v1/keys/verify - verify a key for another service
export const POST = withApiKey({ scopes: ["keys:verify"] }, async (request, { ip }) => {
  const body = await readJson(request, verifyKeyRequest);
  const use = { scopes: body.scopes ?? [], ip: body.ip ?? null, cost: body.cost ?? 1 };
  const result = await verifyKeyForService(body.key, use, { method: request.method, path: request.nextUrl.pathname, ip });
  return Response.json(verifyKeyResponse.parse(result));
});

const otherMethod = methodNotAllowed("POST");
export { otherMethod as GET, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
