import { contracts } from "@/lib/api/contract/routes";
import { jsonResponse } from "@/lib/api/json-response";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { buildOpenApiDocument } from "@/lib/api/openapi/build-document";
import { publicRoute } from "@/lib/api/public-route";

// The document depends on nothing but the code, so it is rendered once at build time.
export const dynamic = "force-static";

// GET /api/openapi.json - the OpenAPI 3.1 document
export const GET = publicRoute(contracts.getOpenApiDocument, () => jsonResponse(buildOpenApiDocument()));

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
