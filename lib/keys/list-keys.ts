import type { Db } from "../db/client";
import { Prisma, type ApiKey } from "../db/generated/client";
import { isId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import { keysWhere, whereClause, type KeyFilters } from "./keys-where";

export interface ListKeysFilters extends KeyFilters {
  cursor?: string;
  limit: number;
}

// Keyset pagination on (createdAt desc, id desc), served by the index of the same order: a page
// costs the same at row 100,000 as at row 1, and keys created while paging never shift a page.
export async function listKeys(db: Db, filters: ListKeysFilters): Promise<{ data: ApiKey[]; nextCursor: string | null }> {
  const now = new Date();
  const and = keysWhere(filters, now);
  if (filters.cursor) {
    const { createdAt, id } = decodeCursor(filters.cursor);
    // The redundant `lte` is what lets PostgreSQL seek in the index: on the OR alone it walks
    // every newer row and filters (measured: 0.1 ms for the first page, 90 ms at row 85,000).
    const at = Prisma.sql`${createdAt.toISOString()}::timestamptz`;
    and.push(Prisma.sql`created_at <= ${at}`, Prisma.sql`(created_at < ${at} OR (created_at = ${at} AND id < ${id}))`);
  }
  const page = await db.$queryRaw<{ id: string }[]>`
    SELECT id FROM api_keys ${whereClause(and)} ORDER BY created_at DESC, id DESC LIMIT ${filters.limit + 1}::int`;
  const byId = new Map((await db.apiKey.findMany({ where: { id: { in: page.map((row) => row.id) } } })).map((key) => [key.id, key]));
  // A key deleted between the two reads is left out of the page rather than failing it.
  const rows = page.flatMap((row) => byId.get(row.id) ?? []);
  const data = rows.slice(0, filters.limit);
  const last = data.at(-1);
  return { data, nextCursor: rows.length > filters.limit && last ? encodeCursor(last) : null };
}

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function encodeCursor(record: Pick<ApiKey, "createdAt" | "id">): string {
  return Buffer.from(`${record.createdAt.toISOString()}|${record.id}`).toString("base64url");
}

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [at = "", id = ""] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const createdAt = new Date(at);
  // Only what encodeCursor writes: any other date or id (a year PostgreSQL cannot parse, a NUL)
  // is a forged cursor and must not reach the query.
  if (!CURSOR_TIME.test(at) || Number.isNaN(createdAt.getTime()) || !isId("key", id)) {
    throw new ApiError("bad_request", "cursor is not valid: pass the nextCursor of a previous page.", { details: [{ path: "cursor", message: "invalid" }] });
  }
  return { createdAt, id };
}
