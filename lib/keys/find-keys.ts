import type { Db } from "../db/client";
import { parseKey } from "./format";
import { hashKey } from "./hash";

// Finding keys by what a person has at hand during an incident: the key itself, or its start.

/** The id of the key, found by its hash; null for a malformed or unknown key. */
export async function findKeyIdByKey(db: Db, key: string): Promise<string | null> {
  if (!parseKey(key)) return null;
  const found = await db.apiKey.findUnique({ where: { hash: hashKey(key) }, select: { id: true } });
  return found?.id ?? null;
}

/** Ids of the keys that are not revoked and start with `start` (`kh_live_a1B2`), oldest first. */
export async function findUnrevokedKeyIdsByStart(db: Db, start: string, limit: number): Promise<string[]> {
  const rows = await db.apiKey.findMany({ where: { start, revokedAt: null }, select: { id: true }, orderBy: { createdAt: "asc" }, take: limit });
  return rows.map((row) => row.id);
}
