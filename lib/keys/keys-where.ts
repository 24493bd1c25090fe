import type { Prisma } from "../db/generated/client";
import type { KeyStatus } from "./key-status";

/** What a list of keys may be narrowed by; the list and its count take the same filters. */
export interface KeyFilters {
  ownerId?: string;
  status?: KeyStatus;
  scope?: string;
  environment?: "live" | "test";
  q?: string;
}

/** The keys a list filter selects (owner, environment, scope, search, status), as of `now`. */
export function keysWhere(filters: KeyFilters, now: Date): Prisma.ApiKeyWhereInput[] {
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
