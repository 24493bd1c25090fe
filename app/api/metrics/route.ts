import { errorResponse } from "@/lib/api/errors";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { env } from "@/lib/env";
import { refuseMetrics, scrapeMetrics } from "@/lib/observability/metrics-endpoint";

export const dynamic = "force-dynamic";

// GET /api/metrics - Prometheus metrics, bearer KEYHOLD_METRICS_TOKEN
export async function GET(request: Request) {
  const refusal = refuseMetrics(request.headers.get("authorization"), env().KEYHOLD_METRICS_TOKEN);
  if (refusal) return errorResponse(refusal);
  const { contentType, body } = await scrapeMetrics();
  return new Response(body, { headers: { "Content-Type": contentType, "Cache-Control": "no-store" } });
}

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
