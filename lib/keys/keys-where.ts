import { Prisma } from "../db/generated/client";
import type { KeyStatus } from "./key-status";

/** What a list of keys may be narrowed by; the list and its count take the same filters. */
export interface KeyFilters {
  ownerId?: string;
  status?: KeyStatus;
  scope?: string;
  environment?: "live" | "test";
  q?: string;
}

// Above every character a key's start can hold: `start >= q AND start < q || MAX` is "starts
// with q" as a range of the start index (the column is COLLATE "C", so code point order).
const MAX_CHAR = "\u{10FFFF}";

/**
 * The SQL conditions on api_keys that a list filter selects (owner, environment, scope, search,
 * status), as of `now`. SQL rather than a Prisma filter: Prisma's counts and capped reads add an
 * ORDER BY id, and with it PostgreSQL walked the primary key through a million rows.
 */
export function keysWhere(filters: KeyFilters, now: Date): Prisma.Sql[] {
  const and: Prisma.Sql[] = [];
  if (filters.ownerId) and.push(Prisma.sql`owner_id = ${filters.ownerId}`);
  if (filters.environment) and.push(Prisma.sql`environment = ${filters.environment}::"Environment"`);
  if (filters.scope) and.push(Prisma.sql`scopes @> ${[filters.scope]}::text[]`);
  if (filters.q) {
    // Matched literally: an unescaped `_` in `kh_live_` left only `kh` as the index prefix, so
    // the start side covered every key and PostgreSQL chose a full scan (1.2 s over 1M keys).
    const contains = `%${filters.q.replace(/[\\%_]/g, "\\$&")}%`;
    and.push(Prisma.sql`(name ILIKE ${contains} OR (start >= ${filters.q} AND start < ${filters.q + MAX_CHAR}))`);
  }
  if (filters.status) and.push(statusWhere(filters.status, now));
  return and;
}

// The database side of keyStatus: revoked wins, then expiry.
function statusWhere(status: KeyStatus, now: Date): Prisma.Sql {
  const at = Prisma.sql`${now.toISOString()}::timestamptz`;
  if (status === "revoked") return Prisma.sql`revoked_at IS NOT NULL`;
  if (status === "expired") return Prisma.sql`revoked_at IS NULL AND expires_at <= ${at}`;
  return Prisma.sql`revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ${at})`;
}

/** `WHERE` and the conditions joined, or nothing when there are none. */
export function whereClause(conditions: Prisma.Sql[]): Prisma.Sql {
  return conditions.length === 0 ? Prisma.empty : Prisma.sql`WHERE ${Prisma.join(conditions, " AND ")}`;
}
