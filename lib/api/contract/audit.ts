import { auditListResponse, exportAuditQuery, listAuditQuery } from "../../audit/schemas";
import { PAGE_QUERY_DOCS } from "./param-docs";
import { defineRoute } from "./route-contract";

// Reading and exporting the audit log (DESIGN.md section 15.6).

const FILTER_DOCS = {
  actorType: "Only entries by this kind of actor.",
  actorId: "Only entries by this actor (a user, key or CLI id).",
  action: "Only entries of this action, e.g. `key.revoke`.",
  targetType: "Only entries about this kind of target (`key`, `scope`, `user`, `webhook`).",
  targetId: "Only entries about this target.",
  from: "Entries at or after this time, ISO 8601.",
  to: "Entries before this time, ISO 8601; after `from`.",
};

export const listAuditEntries = defineRoute({
  method: "GET",
  path: "/api/v1/audit",
  operationId: "listAuditEntries",
  summary: "Audit entries, newest first",
  description: "Cursor pagination as for keys. Unknown query parameters are 400.",
  tag: "audit",
  scopes: ["audit:read"],
  query: listAuditQuery,
  queryDocs: { ...FILTER_DOCS, ...PAGE_QUERY_DOCS },
  success: { status: 200, schema: auditListResponse, description: "One page of audit entries." },
});

export const exportAuditLog = defineRoute({
  method: "GET",
  path: "/api/v1/audit/export",
  operationId: "exportAuditLog",
  summary: "The audit log as NDJSON, oldest first",
  description: "Streamed: one entry per line, in the shape of `AuditEntry`, read from the database a page at a time.",
  tag: "audit",
  scopes: ["audit:read"],
  query: exportAuditQuery,
  queryDocs: FILTER_DOCS,
  success: { status: 200, schema: null, description: "Newline-delimited JSON.", contentType: "application/x-ndjson" },
});
