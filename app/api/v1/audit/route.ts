import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { listAuditEntries } from "@/lib/audit/query-audit";
import { getDb } from "@/lib/db/client";

// GET /api/v1/audit - audit entries, newest first, with filters and cursor pages
export const GET = withApiKey(contracts.listAuditEntries, async (_request, { query, respond }) => {
  const { from, to, ...filters } = query();
  return respond(await listAuditEntries(getDb(), { ...filters, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined }));
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
