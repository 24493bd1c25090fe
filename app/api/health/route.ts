import { contracts } from "@/lib/api/contract/routes";
import { jsonResponse } from "@/lib/api/json-response";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { publicRoute } from "@/lib/api/public-route";
import { getDb } from "@/lib/db/client";
import { isDatabaseUp } from "@/lib/db/health";

export const dynamic = "force-dynamic";

// GET /api/health - liveness and database reachability, no auth
export const GET = publicRoute(contracts.getHealth, async () => {
  const up = await isDatabaseUp(getDb());
  return jsonResponse(up ? { status: "ok", database: "up" } : { status: "degraded", database: "down" }, {
    status: up ? 200 : 503,
  });
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
