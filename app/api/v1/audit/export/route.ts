import { contracts } from "@/lib/api/contract/routes";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { withApiKey } from "@/lib/api/with-api-key";
import { exportAuditLog } from "@/lib/audit/export-audit";
import { getDb } from "@/lib/db/client";

// GET /api/v1/audit/export - the audit log between from and to as streamed NDJSON, oldest first
export const GET = withApiKey(contracts.exportAuditLog, async (_request, { query }) => {
  return new Response(exportAuditLog(getDb(), query()), {
    headers: { "Content-Type": contracts.exportAuditLog.success.contentType, "Content-Disposition": 'attachment; filename="keyhold-audit.ndjson"' },
  });
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
