import { beforeEach, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { ApiError } from "../../lib/errors/api-error";
import { issueKey, revokeKey, rotateKey, updateKey } from "../../lib/keys/service";
import { createScope } from "../../lib/scopes/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// The key service on its own (DESIGN.md sections 5, 7 and 14), without a server: no escalation
// through issue, update or rotation, the rotation grace period, and revocation that is final.
// Every refusal is checked for its code and for leaving keys and audit log as they were.

const shared = databaseForThisFile("keyhold_keys_service");
const SYSTEM: Actor = { type: "system", id: null };
const writerKey: Actor = { type: "key", id: "key_writer", scopes: ["keys:write"] };
const viewer: Actor = { type: "user", id: "usr_viewer", role: "VIEWER" };

beforeEach(async () => {
  await shared.admin.query("TRUNCATE api_keys, audit_logs, scopes");
});

async function snapshot() {
  const keys = await shared.db.apiKey.findMany({ orderBy: { id: "asc" } });
  const audit = await shared.db.auditLog.count();
  return { keys, audit };
}

async function refusal(work: Promise<unknown>): Promise<ApiError> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("no escalation", () => {
  it("refuses to issue management scopes the calling key lacks, naming them, and creates nothing", async () => {
    await createScope(shared.db, { name: "orders:read", description: "" }, SYSTEM);
    const before = await snapshot();
    const error = await refusal(issueKey(shared.db, { name: "escalate", scopes: ["orders:read", "keys:read", "keys:verify"] }, writerKey));
    expect(error.code).toBe("insufficient_scope");
    expect(error.status).toBe(403);
    expect(error.details).toEqual({ required: ["keys:read", "keys:verify"] });
    expect(await snapshot()).toEqual(before);
    // Catalogue scopes and the management scopes it holds are its to give.
    const { record } = await issueKey(shared.db, { name: "fine", scopes: ["orders:read", "keys:write"] }, writerKey);
    expect(record.scopes).toEqual(["orders:read", "keys:write"]);
  });

  it("refuses to rotate or update a key holding management scopes the caller lacks, leaving it as it was", async () => {
    const { record: root } = await issueKey(shared.db, { name: "root", scopes: ["keys:verify"] }, SYSTEM);
    const before = await snapshot();
    const rotation = await refusal(rotateKey(shared.db, root.id, { gracePeriodSeconds: 0 }, writerKey));
    expect(rotation.code).toBe("insufficient_scope");
    expect(rotation.details).toEqual({ required: ["keys:verify"] });
    const update = await refusal(updateKey(shared.db, root.id, { name: "renamed" }, writerKey));
    expect(update.code).toBe("insufficient_scope");
    expect(await snapshot()).toEqual(before);
  });

  it("lets a VIEWER change nothing", async () => {
    const { record } = await issueKey(shared.db, { name: "existing" }, SYSTEM);
    const before = await snapshot();
    for (const work of [
      issueKey(shared.db, { name: "new" }, viewer),
      updateKey(shared.db, record.id, { name: "renamed" }, viewer),
      rotateKey(shared.db, record.id, { gracePeriodSeconds: 0 }, viewer),
      revokeKey(shared.db, record.id, null, viewer),
    ]) {
      expect((await refusal(work)).code).toBe("insufficient_scope");
    }
    expect(await snapshot()).toEqual(before);
  });
});

describe("rotation", () => {
  it("gives a new key with the old one's settings and lets the old one live for the grace period", async () => {
    const { record: old } = await issueKey(shared.db, { name: "rotating", ownerId: "acct_1", meta: { plan: "pro" }, remaining: 50 }, SYSTEM);
    const started = Date.now();
    const { record, key } = await rotateKey(shared.db, old.id, { gracePeriodSeconds: 3600 }, SYSTEM);
    const finished = Date.now();
    expect(key.startsWith("kh_live_")).toBe(true);
    expect(record).toMatchObject({ name: "rotating", ownerId: "acct_1", meta: { plan: "pro" }, remaining: 50, rotatedFromId: old.id, expiresAt: null });
    const after = await shared.db.apiKey.findUniqueOrThrow({ where: { id: old.id } });
    expect(after.expiresAt!.getTime()).toBeGreaterThanOrEqual(started + 3_600_000);
    expect(after.expiresAt!.getTime()).toBeLessThanOrEqual(finished + 3_600_000);
    expect(after.revokedAt).toBeNull();
    const audit = await shared.db.auditLog.findMany({ where: { action: "key.rotate" } });
    expect(audit).toHaveLength(1);
    expect(JSON.stringify(audit.map((entry) => entry.data))).not.toContain(key);
  });

  it("never extends an old key that expires sooner than the grace period, and refuses a revoked key", async () => {
    const soon = new Date(Date.now() + 60_000);
    const { record: old } = await issueKey(shared.db, { name: "short-lived", expiresAt: soon }, SYSTEM);
    await rotateKey(shared.db, old.id, { gracePeriodSeconds: 86_400 }, SYSTEM);
    expect((await shared.db.apiKey.findUniqueOrThrow({ where: { id: old.id } })).expiresAt).toEqual(soon);

    const { record: revoked } = await issueKey(shared.db, { name: "revoked" }, SYSTEM);
    await revokeKey(shared.db, revoked.id, "leaked", SYSTEM);
    const before = await snapshot();
    const error = await refusal(rotateKey(shared.db, revoked.id, { gracePeriodSeconds: 0 }, SYSTEM));
    expect(error.code).toBe("conflict");
    expect(await snapshot()).toEqual(before);
  });
});

describe("revocation", () => {
  it("is idempotent: the first time and reason stand, and only the first is audited", async () => {
    const { record } = await issueKey(shared.db, { name: "to revoke" }, SYSTEM);
    const first = await revokeKey(shared.db, record.id, "leaked", SYSTEM);
    const second = await revokeKey(shared.db, record.id, "again", writerKey);
    expect(second.revokedAt).toEqual(first.revokedAt);
    expect(second.revokedReason).toBe("leaked");
    expect(await shared.db.auditLog.count({ where: { action: "key.revoke", targetId: record.id } })).toBe(1);
  });

  it("answers not_found for an unknown or malformed id, changing nothing", async () => {
    await issueKey(shared.db, { name: "bystander" }, SYSTEM);
    const before = await snapshot();
    for (const id of ["key_0000000000000000000000", "not-an-id"]) {
      const error = await refusal(revokeKey(shared.db, id, null, SYSTEM));
      expect(error.code).toBe("not_found");
      expect(error.status).toBe(404);
    }
    expect(await snapshot()).toEqual(before);
  });
});
