import { exportAuditLog } from "@/lib/audit/export-audit";
import { exportAuditQuery } from "@/lib/audit/schemas";
import { getCurrentUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";

// GET /audit/export - the audit page's download: the same NDJSON as /api/v1/audit/export, for a signed-in user
export async function GET(request: Request): Promise<Response> {
  if (!(await getCurrentUser())) return new Response("Sign in to export the audit log.", { status: 401, headers: { "Cache-Control": "no-store" } });
  const params = Object.fromEntries([...new URL(request.url).searchParams].filter(([name, value]) => value !== "" && name !== "cursor"));
  const filters = exportAuditQuery.safeParse(params);
  if (!filters.success) return new Response(`Invalid filter: ${filters.error.issues.map((issue) => issue.path.join(".")).join(", ")}.`, { status: 400 });
  return new Response(exportAuditLog(getDb(), filters.data), {
    headers: {
      "Content-Type": "application/x-ndjson",
      "Content-Disposition": 'attachment; filename="keyhold-audit.ndjson"',
      "Cache-Control": "no-store",
    },
  });
}
