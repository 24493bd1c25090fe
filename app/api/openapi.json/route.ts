import { buildOpenApiDocument } from "@/lib/api/openapi";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// The document depends on nothing but the code, so it is rendered once at build time.
export const dynamic = "force-static";

// GET /api/openapi.json - the OpenAPI 3.1 document
export function GET() {
  return Response.json(buildOpenApiDocument());
}

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
