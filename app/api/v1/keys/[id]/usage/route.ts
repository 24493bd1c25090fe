import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { getKey } from "@/lib/keys/service";
import { keyUsageWithLatency } from "@/lib/usage/key-usage";
import { usageRange } from "@/lib/usage/usage-range";

// GET /api/v1/keys/{id}/usage - verifications per bucket and outcome, from the derived tables
export const GET = withApiKey(contracts.getKeyUsage, async (_request, { params, query, respond }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  const { granularity, include, ...range } = query();
  const { from, to } = usageRange({ granularity, include, ...range });
  const series = await keyUsageWithLatency(getDb(), { keyId: id, from, to, granularity }, include === "latency");
  return respond({ keyId: id, granularity, from: from.toISOString(), to: to.toISOString(), series });
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
