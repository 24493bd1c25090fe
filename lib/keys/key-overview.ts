import type { Db } from "../db/client";
import { keyStatusWhere } from "./key-status";

// The key figures of the dashboard's overview: how many keys work now, and which stop soon.

export function countActiveKeys(db: Db, now: Date): Promise<number> {
  return db.apiKey.count({ where: keyStatusWhere("active", now) });
}

export function keysExpiringWithin(db: Db, now: Date, ms: number, limit: number) {
  return db.apiKey.findMany({
    where: { revokedAt: null, expiresAt: { gt: now, lte: new Date(now.getTime() + ms) } },
    orderBy: { expiresAt: "asc" },
    take: limit,
    select: { id: true, name: true, start: true, expiresAt: true },
  });
}
