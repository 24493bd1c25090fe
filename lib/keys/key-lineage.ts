import type { Db } from "../db/client";
import type { ApiKey } from "../db/generated/client";

/** The key a key was rotated from, and the keys rotated from it, for the key page. */
export async function keyLineage(db: Db, key: Pick<ApiKey, "id" | "rotatedFromId">) {
  const [previous, successors] = await Promise.all([
    key.rotatedFromId ? db.apiKey.findUnique({ where: { id: key.rotatedFromId }, select: { id: true, name: true, start: true } }) : null,
    db.apiKey.findMany({ where: { rotatedFromId: key.id }, select: { id: true, name: true, start: true, createdAt: true }, orderBy: { createdAt: "asc" } }),
  ]);
  return { previous, successors };
}
