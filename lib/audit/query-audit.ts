import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { ActorType } from "../db/generated/enums";
import { AUDIT_ROW_COLUMNS, auditEntryOfRow, type AuditEntryView, type AuditRow } from "./audit-entry-of-row";

// The dashboard reads the entry type from here, beside the query that returns it.
export type { AuditEntryView };

// Reading the audit log (DESIGN.md section 8), newest first, a page at a time.

const ACTOR_TYPES = Object.values(ActorType) as string[];
// bigserial ids; a longer cursor cannot be one and would make PostgreSQL fail the cast.
const CURSOR_PATTERN = /^[1-9][0-9]{0,18}$/;
const MAX_ID = 9_223_372_036_854_775_807n;

/** A query argument out of range; the message is safe to show to the caller (a 400). */
export class AuditQueryError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AuditQueryError";
  }
}

export interface AuditQuery {
  targetType?: string;
  targetId?: string;
  actorType?: ActorType;
  actorId?: string;
  action?: string;
  /** Entries at or after this moment. */
  from?: Date;
  /** Entries before this moment. */
  to?: Date;
  /** nextCursor of the previous page. */
  cursor?: string;
  /** 1 to 100, default 50. */
  limit?: number;
}

export interface AuditPage {
  data: AuditEntryView[];
  /** null on the last page. */
  nextCursor: string | null;
}

function checkDate(name: string, value: unknown): Date | undefined {
  if (value === undefined) return undefined;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw new AuditQueryError(`${name} must be a valid date`);
  return value;
}

function checkText(name: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "string" || value === "") throw new AuditQueryError(`${name} must be a non-empty string`);
  return value;
}

/**
 * Pages are keyed by id rather than an offset: entries written while someone pages through get
 * higher ids, so they neither shift later pages nor appear twice. Ids follow insertion order,
 * which for the log is the order of events.
 */
export async function listAuditEntries(db: Db, query: AuditQuery = {}): Promise<AuditPage> {
  const limit = query.limit ?? 50;
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > 100) {
    throw new AuditQueryError("limit must be a whole number from 1 to 100");
  }
  const from = checkDate("from", query.from);
  const to = checkDate("to", query.to);
  if (from && to && from.getTime() >= to.getTime()) throw new AuditQueryError("from must be before to");
  if (query.actorType !== undefined && !ACTOR_TYPES.includes(query.actorType)) {
    throw new AuditQueryError(`actorType must be one of ${ACTOR_TYPES.join(", ")}`);
  }
  let before: bigint | undefined;
  if (query.cursor !== undefined) {
    if (typeof query.cursor !== "string" || !CURSOR_PATTERN.test(query.cursor) || BigInt(query.cursor) > MAX_ID) {
      throw new AuditQueryError("cursor is not valid");
    }
    before = BigInt(query.cursor);
  }

  const conditions: Prisma.Sql[] = [];
  const targetType = checkText("targetType", query.targetType);
  const targetId = checkText("targetId", query.targetId);
  const actorId = checkText("actorId", query.actorId);
  const action = checkText("action", query.action);
  if (targetType !== undefined) conditions.push(Prisma.sql`target_type = ${targetType}`);
  if (targetId !== undefined) conditions.push(Prisma.sql`target_id = ${targetId}`);
  if (query.actorType !== undefined) conditions.push(Prisma.sql`actor_type = ${query.actorType}::"ActorType"`);
  if (actorId !== undefined) conditions.push(Prisma.sql`actor_id = ${actorId}`);
  if (action !== undefined) conditions.push(Prisma.sql`action = ${action}`);
  // Instants go in as ISO strings with their zone: @prisma/adapter-pg shifts Date parameters
  // when the session TimeZone is not UTC (prisma/orm#26786).
  if (from) conditions.push(Prisma.sql`at >= ${from.toISOString()}::timestamptz`);
  if (to) conditions.push(Prisma.sql`at < ${to.toISOString()}::timestamptz`);
  if (before !== undefined) conditions.push(Prisma.sql`id < ${before.toString()}::bigint`);
  const where = conditions.length > 0 ? Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}` : Prisma.empty;

  // One extra row says whether another page follows without a count query.
  const rows = await db.$queryRaw<AuditRow[]>`
    SELECT ${AUDIT_ROW_COLUMNS}
    FROM audit_logs
    ${where}
    -- Qualified: a bare id here would sort by the text column of the same name.
    ORDER BY audit_logs.id DESC
    LIMIT ${limit + 1}::int`;
  const page = rows.slice(0, limit);
  return {
    data: page.map(auditEntryOfRow),
    nextCursor: rows.length > limit ? page[page.length - 1].id : null,
  };
}
