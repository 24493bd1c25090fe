import { describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { ApiError } from "../../lib/errors/api-error";
import { getKey, issueKey, rotateKey, updateKey } from "../../lib/keys/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 15.7: the old key of a rotation cannot get a later or null expiresAt. Before
// this rule a PATCH during the grace period kept a rotated-away (maybe leaked) key alive for ever.

const CLI: Actor = { type: "cli", id: null };
const shared = databaseForThisFile("keyhold_rotation_expiry", { poolSize: 2 });

async function rotatedPair() {
  const { record } = await issueKey(shared.db, { name: "rotation-expiry" }, CLI);
  const { record: next } = await rotateKey(shared.db, record.id, { gracePeriodSeconds: 3600 }, CLI);
  return { old: await getKey(shared.db, record.id), next };
}

async function auditCount(id: string): Promise<number> {
  return shared.db.auditLog.count({ where: { targetId: id } });
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  const caught = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(caught).toBeInstanceOf(ApiError);
  return caught as ApiError;
}

describe("updating the old key of a rotation", () => {
  it.each([
    ["a later expiresAt", () => new Date(Date.now() + 365 * 24 * 3600 * 1000)],
    ["a null expiresAt", () => null],
  ])("refuses %s with 400 and changes nothing", async (_, expiresAt) => {
    const { old } = await rotatedPair();
    const audits = await auditCount(old.id);
    const error = await refusal(updateKey(shared.db, old.id, { expiresAt: expiresAt(), name: "renamed" }, CLI));
    expect(error.status).toBe(400);
    expect(error.code).toBe("bad_request");
    expect(error.details).toEqual([expect.objectContaining({ path: "expiresAt" })]);
    const after = await getKey(shared.db, old.id);
    expect(after.expiresAt).toEqual(old.expiresAt);
    expect(after.name).toBe(old.name);
    expect(await auditCount(old.id)).toBe(audits);
  });

  it("allows an earlier expiresAt (ending the grace period sooner) and other changes", async () => {
    const { old } = await rotatedPair();
    const sooner = new Date(Date.now() + 60_000);
    const updated = await updateKey(shared.db, old.id, { expiresAt: sooner, name: "retiring" }, CLI);
    expect(updated.expiresAt).toEqual(sooner);
    expect(updated.name).toBe("retiring");
    expect((await updateKey(shared.db, old.id, { name: "still retiring" }, CLI)).expiresAt).toEqual(sooner);
  });

  it("leaves the new key's expiresAt free", async () => {
    const { next } = await rotatedPair();
    expect((await updateKey(shared.db, next.id, { expiresAt: null }, CLI)).expiresAt).toBeNull();
    const later = new Date(Date.now() + 365 * 24 * 3600 * 1000);
    expect((await updateKey(shared.db, next.id, { expiresAt: later }, CLI)).expiresAt).toEqual(later);
  });
});
