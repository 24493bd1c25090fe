import type { ApiKey } from "../db/generated/client";
import { metaOf } from "./key-meta";
import { keyStatus } from "./key-status";
import { ratelimitOf } from "./ratelimit-of";
import { refillOf } from "./refill-of";
import { keyRecord, type KeyRecordJson } from "./schemas";

/** The public shape of a key (DESIGN.md section 7.1), parsed so that only its fields can leave. */
export function presentKey(record: ApiKey, now = Date.now()): KeyRecordJson {
  return keyRecord.parse({
    id: record.id,
    name: record.name,
    start: record.start,
    environment: record.environment,
    ownerId: record.ownerId,
    scopes: record.scopes,
    meta: metaOf(record.meta),
    status: keyStatus(record, now),
    expiresAt: iso(record.expiresAt),
    revokedAt: iso(record.revokedAt),
    revokedReason: record.revokedReason,
    rotatedFromId: record.rotatedFromId,
    ratelimit: ratelimitOf(record),
    remaining: record.remaining,
    refill: refillOf(record),
    ipAllowlist: record.ipAllowlist,
    lastUsedAt: iso(record.lastUsedAt),
    createdAt: record.createdAt.toISOString(),
    updatedAt: record.updatedAt.toISOString(),
  });
}

function iso(date: Date | null): string | null {
  return date ? date.toISOString() : null;
}
