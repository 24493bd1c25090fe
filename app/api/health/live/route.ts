import { contracts } from "@/lib/api/contract/routes";
import { liveResponse } from "@/lib/api/contract/service";
import { jsonResponse } from "@/lib/api/json-response";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { publicRoute } from "@/lib/api/public-route";

export const dynamic = "force-dynamic";

// GET /api/health/live - liveness for a load balancer: no auth, no database
export const GET = publicRoute(contracts.getLiveness, async () => jsonResponse(liveResponse.parse({ status: "ok" })));

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
