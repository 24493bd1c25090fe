import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { getDb } from "@/lib/db/client";
import { getKey } from "@/lib/keys/service";
import { keyAddresses } from "@/lib/usage/key-addresses";

// GET /api/v1/keys/{id}/addresses - client addresses that used the key in the last 30 days
export const GET = withApiKey(contracts.getKeyAddresses, async (_request, { params, respond }) => {
  const { id } = await params;
  await getKey(getDb(), id);
  return respond({ data: await keyAddresses(getDb(), id) });
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
