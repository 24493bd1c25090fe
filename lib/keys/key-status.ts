import type { ApiKey } from "../db/generated/client";

// A key's status (DESIGN.md section 7.1) is derived, never stored: revoked wins, then expiry.
// keyStatus decides it for a row in memory; keysWhere (keys-where.ts) is the same rule in SQL.

export const KEY_STATUSES = ["active", "expired", "revoked"] as const;

export type KeyStatus = (typeof KEY_STATUSES)[number];

/** An active key this close to its expiry is flagged in the dashboard. */
export const EXPIRING_SOON_MS = 7 * 86_400_000;

export function keyStatus(record: Pick<ApiKey, "revokedAt" | "expiresAt">, now = Date.now()): KeyStatus {
  if (record.revokedAt) return "revoked";
  if (record.expiresAt && record.expiresAt.getTime() <= now) return "expired";
  return "active";
}
