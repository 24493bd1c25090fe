import type { Db } from "../db/client";

// The dashboard overview's list of keys that stop working soon.
export function keysExpiringWithin(db: Db, now: Date, ms: number, limit: number) {
  return db.apiKey.findMany({
    where: { revokedAt: null, expiresAt: { gt: now, lte: new Date(now.getTime() + ms) } },
    orderBy: { expiresAt: "asc" },
    take: limit,
    select: { id: true, name: true, start: true, expiresAt: true },
  });
}
