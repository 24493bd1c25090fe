import type { Actor } from "../access/actor";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import type { ApiKey, Prisma } from "../db/generated/client";
import { isId, newId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import type { Refill } from "../quota/refill-period";
import { enqueueWebhookEvent } from "../webhooks/enqueue-webhook-event";
import { resetQuotaMark } from "../webhooks/quota-alerts";
import { assertCanChangeKeys, assertCanGrant } from "./authorize";
import { sharedKeyCache } from "./cache";
import { generateKey, keyStart, type KeyEnvironment } from "./format";
import { hashKey } from "./hash";
import { notifyKeyChanged } from "./invalidation";
import { isManagementScope } from "./management-scopes";
import { presentKey } from "./present-key";
import { ratelimitOf } from "./ratelimit-of";
import { refillOf } from "./refill-of";
import { assertRetirementKept } from "./rotation-retirement";

// Key lifecycle: the only code that writes api_keys, shared by the HTTP API, the dashboard and
// the CLI. Every change is authorized here, audited in the same transaction, and announced to
// every instance's verification cache (DESIGN.md section 9).

export interface KeySettings {
  name: string;
  ownerId?: string | null;
  environment?: KeyEnvironment;
  scopes?: string[];
  expiresAt?: Date | null;
  ratelimit?: { limit: number; windowMs: number } | null;
  remaining?: number | null;
  /** Needs a quota: without `remaining`, the key starts at the refill amount (DESIGN.md section 15.3). */
  refill?: Refill | null;
  /** Normalised addresses and CIDR ranges (lib/keys/schemas.ts); empty allows any address. */
  ipAllowlist?: string[];
  meta?: Record<string, unknown>;
}

export type KeyChanges = Partial<Omit<KeySettings, "ownerId" | "environment">>;

export interface IssuedKey {
  record: ApiKey;
  /** The plaintext key: returned here once and never stored. */
  key: string;
}

type Tx = Prisma.TransactionClient;

export async function issueKey(db: Db, input: KeySettings, actor: Actor): Promise<IssuedKey> {
  assertCanChangeKeys(actor);
  const scopes = unique(input.scopes ?? []);
  assertCanGrant(actor, scopes);
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now()) {
    throw new ApiError("bad_request", "expiresAt must be in the future.", { details: [{ path: "expiresAt", message: "in the past" }] });
  }
  return db.$transaction(async (tx) => {
    await assertScopesInCatalogue(tx, scopes);
    const issued = await insertKey(tx, { ...input, scopes }, actor, null);
    await writeAudit(tx, {
      actor,
      action: "key.create",
      targetType: "key",
      targetId: issued.record.id,
      data: { settings: settingsOf(issued.record) },
    });
    await enqueueWebhookEvent(tx, "key.created", { key: presentKey(issued.record) });
    return issued;
  });
}

export async function getKey(db: Db, id: string): Promise<ApiKey> {
  const record = isId("key", id) ? await db.apiKey.findUnique({ where: { id } }) : null;
  if (!record) throw new ApiError("not_found", "No key with this id.");
  return record;
}

export async function updateKey(db: Db, id: string, changes: KeyChanges, actor: Actor): Promise<ApiKey> {
  assertCanChangeKeys(actor);
  const record = await db.$transaction(async (tx) => {
    const existing = await lockKey(tx, id);
    const scopes = changes.scopes ? unique(changes.scopes) : undefined;
    // Whoever may change a root key could hand its powers on (a new quota, a longer life).
    assertCanGrant(actor, [...existing.scopes, ...(scopes ?? [])]);
    if (scopes) await assertScopesInCatalogue(tx, scopes);
    if (changes.expiresAt !== undefined) await assertRetirementKept(tx, existing, changes.expiresAt);
    const data: Prisma.ApiKeyUpdateInput = {};
    if (changes.name !== undefined) data.name = changes.name;
    if (scopes !== undefined) data.scopes = scopes;
    if (changes.expiresAt !== undefined) data.expiresAt = changes.expiresAt;
    if (changes.ratelimit !== undefined) {
      data.ratelimitLimit = changes.ratelimit?.limit ?? null;
      data.ratelimitWindowMs = changes.ratelimit?.windowMs ?? null;
    }
    Object.assign(data, quotaChanges(existing, changes));
    if (changes.ipAllowlist !== undefined) data.ipAllowlist = changes.ipAllowlist;
    if (changes.meta !== undefined) data.meta = changes.meta as Prisma.InputJsonValue;
    const updated = await tx.apiKey.update({ where: { id }, data });
    const diff = diffSettings(settingsOf(existing), settingsOf(updated));
    if (Object.keys(diff).length > 0) {
      await writeAudit(tx, { actor, action: "key.update", targetType: "key", targetId: id, data: { changes: diff } });
      await enqueueWebhookEvent(tx, "key.updated", { key: presentKey(updated), changes: diff });
      if (diff.remaining) await resetQuotaMark(tx, id, updated.remaining);
      await notifyKeyChanged(tx, id);
    }
    return updated;
  });
  sharedKeyCache().evictById(id);
  return record;
}

/**
 * A new key with the same settings; the old one keeps working until now + grace (or its own
 * earlier expiry), then answers expired_key. Grace 0 stops it at once.
 */
export async function rotateKey(db: Db, id: string, options: { gracePeriodSeconds: number; expiresAt?: Date | null }, actor: Actor): Promise<IssuedKey> {
  assertCanChangeKeys(actor);
  if (options.expiresAt && options.expiresAt.getTime() <= Date.now()) {
    throw new ApiError("bad_request", "expiresAt must be in the future.", { details: [{ path: "expiresAt", message: "in the past" }] });
  }
  const issued = await db.$transaction(async (tx) => {
    const existing = await lockKey(tx, id);
    if (existing.revokedAt) throw new ApiError("conflict", "A revoked key cannot be rotated: issue a new key instead.");
    assertCanGrant(actor, existing.scopes);
    const graceEnds = new Date(Date.now() + options.gracePeriodSeconds * 1000);
    const oldExpiresAt = existing.expiresAt && existing.expiresAt < graceEnds ? existing.expiresAt : graceEnds;
    await tx.apiKey.update({ where: { id }, data: { expiresAt: oldExpiresAt } });
    const settings = settingsOf(existing);
    const result = await insertKey(
      tx,
      {
        name: existing.name,
        ownerId: existing.ownerId,
        environment: existing.environment,
        scopes: existing.scopes,
        expiresAt: options.expiresAt ?? null,
        ratelimit: settings.ratelimit,
        remaining: existing.remaining,
        refill: settings.refill,
        ipAllowlist: existing.ipAllowlist,
        meta: settings.meta,
        // The new key carries on the old one's refill period rather than starting a new one.
        quotaResetAt: existing.quotaResetAt,
      },
      actor,
      id,
    );
    await writeAudit(tx, {
      actor,
      action: "key.rotate",
      targetType: "key",
      targetId: id,
      data: { newKeyId: result.record.id, gracePeriodSeconds: options.gracePeriodSeconds, expiresAt: oldExpiresAt.toISOString() },
    });
    await writeAudit(tx, {
      actor,
      action: "key.create",
      targetType: "key",
      targetId: result.record.id,
      data: { rotatedFromId: id, settings: settingsOf(result.record) },
    });
    // One event for the pair, not a key.created (DESIGN.md section 15.5).
    await enqueueWebhookEvent(tx, "key.rotated", { oldKeyId: id, newKeyId: result.record.id, key: presentKey(result.record) });
    await notifyKeyChanged(tx, id);
    return result;
  });
  sharedKeyCache().evictById(id);
  return issued;
}

export async function revokeKey(db: Db, id: string, reason: string | null, actor: Actor): Promise<ApiKey> {
  assertCanChangeKeys(actor);
  const record = await db.$transaction(async (tx) => {
    const existing = await lockKey(tx, id);
    // Revoking twice is not an error, and the first revocation's time and reason stand.
    if (existing.revokedAt) return existing;
    const revoked = await tx.apiKey.update({ where: { id }, data: { revokedAt: new Date(), revokedReason: reason } });
    await writeAudit(tx, { actor, action: "key.revoke", targetType: "key", targetId: id, data: { reason } });
    await enqueueWebhookEvent(tx, "key.revoked", { key: presentKey(revoked) });
    await notifyKeyChanged(tx, id);
    return revoked;
  });
  sharedKeyCache().evictById(id);
  return record;
}

async function insertKey(tx: Tx, input: KeySettings & { quotaResetAt?: Date }, actor: Actor, rotatedFromId: string | null): Promise<IssuedKey> {
  const environment = input.environment ?? "live";
  const key = generateKey(environment);
  const record = await tx.apiKey.create({
    data: {
      id: newId("key"),
      name: input.name,
      start: keyStart(key),
      hash: hashKey(key),
      environment,
      ownerId: input.ownerId ?? null,
      createdById: actor.type === "user" ? actor.id : null,
      scopes: input.scopes ?? [],
      meta: (input.meta ?? {}) as Prisma.InputJsonValue,
      expiresAt: input.expiresAt ?? null,
      ratelimitLimit: input.ratelimit?.limit ?? null,
      ratelimitWindowMs: input.ratelimit?.windowMs ?? null,
      remaining: input.remaining ?? input.refill?.amount ?? null,
      refillInterval: input.refill?.interval ?? null,
      refillAmount: input.refill?.amount ?? null,
      ipAllowlist: input.ipAllowlist ?? [],
      ...(input.quotaResetAt ? { quotaResetAt: input.quotaResetAt } : {}),
      rotatedFromId,
    },
  });
  if (record.remaining !== null) await resetQuotaMark(tx, record.id, record.remaining);
  return { record, key };
}

// Row lock: concurrent changes to one key apply one after the other, each seeing the last.
async function lockKey(tx: Tx, id: string): Promise<ApiKey> {
  if (isId("key", id)) {
    const locked = await tx.$queryRaw<{ id: string }[]>`SELECT id FROM api_keys WHERE id = ${id} FOR UPDATE`;
    if (locked.length > 0) return tx.apiKey.findUniqueOrThrow({ where: { id } });
  }
  throw new ApiError("not_found", "No key with this id.");
}

async function assertScopesInCatalogue(tx: Tx, scopes: readonly string[]): Promise<void> {
  const custom = scopes.filter((scope) => !isManagementScope(scope));
  if (custom.length === 0) return;
  const known = await tx.scope.findMany({ where: { name: { in: custom } }, select: { name: true } });
  const knownNames = new Set(known.map((scope) => scope.name));
  const unknown = custom.filter((scope) => !knownNames.has(scope));
  if (unknown.length > 0) {
    throw new ApiError("bad_request", `Unknown scope${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}. Add them to the scope catalogue first.`, {
      details: { unknownScopes: unknown },
    });
  }
}

// DESIGN.md section 15.3: a refill needs a quota, so clearing the quota clears the refill and a
// refill given to a key without one starts it at the amount. Setting the quota counts as this
// period's refill, so a value set today is not overwritten by today's first use.
function quotaChanges(existing: ApiKey, changes: KeyChanges): Prisma.ApiKeyUpdateInput {
  if (changes.remaining === null && changes.refill) {
    throw new ApiError("bad_request", "Invalid field: refill. A refill needs a quota; do not clear remaining while setting one.", {
      details: [{ path: "refill", message: "needs remaining" }],
    });
  }
  const data: Prisma.ApiKeyUpdateInput = {};
  if (changes.refill !== undefined) {
    data.refillInterval = changes.refill?.interval ?? null;
    data.refillAmount = changes.refill?.amount ?? null;
  }
  let remaining = changes.remaining;
  if (remaining === undefined && changes.refill && existing.remaining === null) remaining = changes.refill.amount;
  if (remaining === null) {
    data.refillInterval = null;
    data.refillAmount = null;
  }
  if (remaining !== undefined) {
    data.remaining = remaining;
    data.quotaResetAt = new Date();
  }
  return data;
}

function unique(values: readonly string[]): string[] {
  return [...new Set(values)];
}

function settingsOf(record: ApiKey) {
  return {
    name: record.name,
    ownerId: record.ownerId,
    environment: record.environment,
    scopes: record.scopes,
    expiresAt: record.expiresAt?.toISOString() ?? null,
    ratelimit: ratelimitOf(record),
    remaining: record.remaining,
    refill: refillOf(record),
    ipAllowlist: record.ipAllowlist,
    meta: (record.meta ?? {}) as Record<string, unknown>,
  };
}

function diffSettings(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, { from: unknown; to: unknown }> {
  const diff: Record<string, { from: unknown; to: unknown }> = {};
  for (const field of Object.keys(after)) {
    if (JSON.stringify(before[field]) !== JSON.stringify(after[field])) diff[field] = { from: before[field], to: after[field] };
  }
  return diff;
}
