import { readQuery } from "@/lib/api/read-query";
import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { exportAuditLog } from "@/lib/audit/export-audit";
import { exportAuditQuery } from "@/lib/audit/schemas";
import { getDb } from "@/lib/db/client";

// GET /api/v1/audit/export - the audit log between from and to as streamed NDJSON, oldest first
export const GET = withApiKey({ scopes: ["audit:read"] }, async (request) => {
  const filters = readQuery(request.nextUrl, exportAuditQuery);
  return new Response(exportAuditLog(getDb(), filters), {
    headers: { "Content-Type": "application/x-ndjson", "Content-Disposition": 'attachment; filename="keyhold-audit.ndjson"' },
  });
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
