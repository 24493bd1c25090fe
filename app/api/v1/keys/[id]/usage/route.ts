import { readQuery } from "@/lib/api/read-query";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { usageRange } from "@/lib/usage/usage-range";
import { usageResponse, usageQuery } from "@/lib/keys/schemas";
import { getKey } from "@/lib/keys/service";
import { usageSeries } from "@/lib/usage/query-usage";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";

// GET /api/v1/keys/{id}/usage - verifications per bucket and outcome, from the rollups
export const GET = withApiKey<{ id: string }>({ scopes: ["usage:read"] }, async (request, { params }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const query = readQuery(request.nextUrl, usageQuery);
  const { from, to } = usageRange(query);
  const series = await usageSeries(getDb(), { keyId: id, from, to, granularity: query.granularity });
  return Response.json(
    usageResponse.parse({ keyId: id, granularity: query.granularity, from: from.toISOString(), to: to.toISOString(), series }),
  );
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
