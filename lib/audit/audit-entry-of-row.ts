import { Prisma } from "../db/generated/client";
import type { ActorType } from "../db/generated/enums";

// An audit_logs row as both the paged list and the export read it, and the entry it becomes.

export interface AuditEntryView {
  id: string;
  actorType: ActorType;
  actorId: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  data: Prisma.JsonValue;
  ip: string | null;
  at: string;
}

export interface AuditRow {
  id: string;
  actor_type: ActorType;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string | null;
  data: Prisma.JsonValue;
  ip: string | null;
  at_ms: number;
}

/**
 * The columns of an AuditRow. The instant comes out as epoch milliseconds: @prisma/adapter-pg
 * shifts timestamps when the session TimeZone is not UTC (prisma/orm#26786).
 */
export const AUDIT_ROW_COLUMNS = Prisma.sql`id::text AS id, actor_type::text AS actor_type, actor_id, action, target_type, target_id, data, ip,
  (extract(epoch FROM at) * 1000)::float8 AS at_ms`;

export function auditEntryOfRow(row: AuditRow): AuditEntryView {
  return {
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
}
