import { beforeEach, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { ApiError } from "../../lib/errors/api-error";
import { issueKey, revokeKey } from "../../lib/keys/service";
import { createScope, listScopes, updateScope } from "../../lib/scopes/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// The scope catalogue's service (DESIGN.md sections 5 and 7.1) on its own: names are unique,
// VIEWERs change nothing, keyCount leaves revoked keys out, and every change is audited once.

const shared = databaseForThisFile("keyhold_scopes_service");
const ADMIN: Actor = { type: "user", id: "usr_admin", role: "ADMIN" };
const VIEWER: Actor = { type: "user", id: "usr_viewer", role: "VIEWER" };
// Keys record the user who made them, and no user exists here: the system issues them.
const SYSTEM: Actor = { type: "system", id: null };

beforeEach(async () => {
  await shared.admin.query("TRUNCATE api_keys, audit_logs, scopes");
});

async function snapshot() {
  return { scopes: await shared.db.scope.findMany({ orderBy: { id: "asc" } }), audit: await shared.db.auditLog.count() };
}

async function refusal(work: Promise<unknown>): Promise<ApiError> {
  const error = await work.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("the scope catalogue", () => {
  it("creates a scope once, audited; the same name again is 409 conflict and changes nothing", async () => {
    const scope = await createScope(shared.db, { name: "orders:read", description: "Read orders" }, ADMIN);
    expect(scope).toMatchObject({ name: "orders:read", description: "Read orders", keyCount: 0 });
    expect(await shared.db.auditLog.count({ where: { action: "scope.create", targetId: scope.id } })).toBe(1);
    const before = await snapshot();
    const error = await refusal(createScope(shared.db, { name: "orders:read", description: "again" }, ADMIN));
    expect(error.code).toBe("conflict");
    expect(error.status).toBe(409);
    expect(await snapshot()).toEqual(before);
  });

  it("lets a VIEWER neither create nor describe scopes", async () => {
    const scope = await createScope(shared.db, { name: "orders:write", description: "" }, ADMIN);
    const before = await snapshot();
    expect((await refusal(createScope(shared.db, { name: "orders:delete", description: "" }, VIEWER))).code).toBe("insufficient_scope");
    expect((await refusal(updateScope(shared.db, scope.id, { description: "mine now" }, VIEWER))).code).toBe("insufficient_scope");
    expect(await snapshot()).toEqual(before);
  });

  it("counts the keys holding a scope that are not revoked", async () => {
    await createScope(shared.db, { name: "reports:read", description: "" }, ADMIN);
    const { record: kept } = await issueKey(shared.db, { name: "kept", scopes: ["reports:read"] }, SYSTEM);
    const { record: gone } = await issueKey(shared.db, { name: "gone", scopes: ["reports:read"] }, SYSTEM);
    await revokeKey(shared.db, gone.id, null, SYSTEM);
    expect(kept.revokedAt).toBeNull();
    expect((await listScopes(shared.db)).find((scope) => scope.name === "reports:read")?.keyCount).toBe(1);
  });

  it("audits a description change once, not an unchanged one, and refuses an unknown id", async () => {
    const scope = await createScope(shared.db, { name: "billing:read", description: "old" }, ADMIN);
    await updateScope(shared.db, scope.id, { description: "new" }, ADMIN);
    await updateScope(shared.db, scope.id, { description: "new" }, ADMIN);
    expect(await shared.db.auditLog.count({ where: { action: "scope.update", targetId: scope.id } })).toBe(1);
    const before = await snapshot();
    expect((await refusal(updateScope(shared.db, "scp_0000000000000000000000", { description: "x" }, ADMIN))).code).toBe("not_found");
    expect(await snapshot()).toEqual(before);
  });
});
