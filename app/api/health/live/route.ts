import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { liveResponse } from "@/lib/api/live";

export const dynamic = "force-dynamic";

// GET /api/health/live - liveness for a load balancer: no auth, no database
export function GET() {
  return Response.json(liveResponse.parse({ status: "ok" }));
}

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
