import type { Prisma } from "../db/generated/client";
import type { ListKeysFilters } from "./list-keys";

/** The keys a list filter selects (owner, environment, scope, search, status), as of `now`. */
export function keysWhere(filters: Omit<ListKeysFilters, "cursor" | "limit">, now: Date): Prisma.ApiKeyWhereInput[] {
  const and: Prisma.ApiKeyWhereInput[] = [];
  if (filters.ownerId) and.push({ ownerId: filters.ownerId });
  if (filters.environment) and.push({ environment: filters.environment });
  if (filters.scope) and.push({ scopes: { has: filters.scope } });
  if (filters.q) {
    and.push({ OR: [{ name: { contains: filters.q, mode: "insensitive" } }, { start: { startsWith: filters.q } }] });
  }
  if (filters.status === "revoked") and.push({ revokedAt: { not: null } });
  if (filters.status === "expired") and.push({ revokedAt: null, expiresAt: { lte: now } });
  if (filters.status === "active") and.push({ revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] });
  return and;
}
