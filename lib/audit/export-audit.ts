import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import type { AuditFilters } from "./schemas";

// The audit log as NDJSON, oldest first (DESIGN.md section 15.6). A pull stream: the next page
// is read only when the client has taken the last one, keyed by id, so memory stays one page
// however many entries there are and however slowly the client reads.

const PAGE_SIZE = 1_000;
const encoder = new TextEncoder();

interface Row {
  id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  data: Prisma.JsonValue;
  ip: string | null;
  at_ms: number;
}

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
        const rows = await db.$queryRaw<Row[]>`
          SELECT id::text AS id, actor_type::text AS actor_type, actor_id, action, target_type, target_id, data, ip,
                 (extract(epoch FROM at) * 1000)::float8 AS at_ms
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

function line(row: Row): string {
  const entry = {
    id: row.id,
    actorType: row.actor_type,
    actorId: row.actor_id,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    data: row.data,
    ip: row.ip,
    at: new Date(row.at_ms).toISOString(),
  };
  return `${JSON.stringify(entry)}\n`;
}
