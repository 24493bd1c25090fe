import { readQuery } from "@/lib/api/read-query";
import { withApiKey } from "@/lib/api/with-api-key";
import { methodNotAllowed } from "@/lib/api/method-not-allowed";
import { listAuditEntries } from "@/lib/audit/query-audit";
import { auditListResponse, listAuditQuery } from "@/lib/audit/schemas";
import { getDb } from "@/lib/db/client";

// GET /api/v1/audit - audit entries, newest first, with filters and cursor pages
export const GET = withApiKey({ scopes: ["audit:read"] }, async (request) => {
  const { from, to, ...query } = readQuery(request.nextUrl, listAuditQuery);
  const page = await listAuditEntries(getDb(), { ...query, from: from ? new Date(from) : undefined, to: to ? new Date(to) : undefined });
  return Response.json(auditListResponse.parse(page));
});

const otherMethod = methodNotAllowed("GET");
export { otherMethod as POST, otherMethod as PUT, otherMethod as PATCH, otherMethod as DELETE };
