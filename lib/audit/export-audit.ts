import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { AUDIT_ROW_COLUMNS, auditEntryOfRow, type AuditRow } from "./audit-entry-of-row";
import type { AuditFilters } from "./schemas";

// The audit log as NDJSON, oldest first (DESIGN.md section 15.6). A pull stream: the next page
// is read only when the client has taken the last one, keyed by id, so memory stays one page
// however many entries there are and however slowly the client reads.

const PAGE_SIZE = 1_000;
const encoder = new TextEncoder();

export function exportAuditLog(db: Db, filters: AuditFilters, pageSize = PAGE_SIZE): ReadableStream<Uint8Array> {
  const conditions: Prisma.Sql[] = [];
  if (filters.actorType) conditions.push(Prisma.sql`actor_type = ${filters.actorType}::"ActorType"`);
  if (filters.actorId) conditions.push(Prisma.sql`actor_id = ${filters.actorId}`);
  if (filters.action) conditions.push(Prisma.sql`action = ${filters.action}`);
  if (filters.targetType) conditions.push(Prisma.sql`target_type = ${filters.targetType}`);
  if (filters.targetId) conditions.push(Prisma.sql`target_id = ${filters.targetId}`);
  // ISO strings with their zone: adapter-pg shifts Date parameters (prisma/orm#26786).
  if (filters.from) conditions.push(Prisma.sql`at >= ${new Date(filters.from).toISOString()}::timestamptz`);
  if (filters.to) conditions.push(Prisma.sql`at < ${new Date(filters.to).toISOString()}::timestamptz`);
  let after = "0";
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const where = Prisma.join([...conditions, Prisma.sql`id > ${after}::bigint`], " AND ");
        const rows = await db.$queryRaw<AuditRow[]>`
          SELECT ${AUDIT_ROW_COLUMNS}
          FROM audit_logs WHERE ${where}
          ORDER BY audit_logs.id LIMIT ${pageSize}::int`;
        if (rows.length > 0) {
          after = rows[rows.length - 1]!.id;
          controller.enqueue(encoder.encode(rows.map(line).join("")));
        }
        if (rows.length < pageSize) controller.close();
      },
    },
    { highWaterMark: 0 },
  );
}

function line(row: AuditRow): string {
  return `${JSON.stringify(auditEntryOfRow(row))}\n`;
}
