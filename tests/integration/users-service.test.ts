import bcrypt from "bcryptjs";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { sharedPasswordHasher } from "../../lib/crypto/password-hasher";
import { ApiError } from "../../lib/errors/api-error";
import { sharedLoginThrottle } from "../../lib/ratelimit/login-throttle";
import {
  changeOwnPassword,
  changeRole,
  createFirstOwner,
  createUser,
  disableUser,
  resetPassword,
  verifyCredentials,
  type UserRecord,
} from "../../lib/users/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// The rules on dashboard users (DESIGN.md sections 5, 8 and 14). A database of its own: the
// last-OWNER rule counts every OWNER in the table, so no other file's users may be in it.

const CLI: Actor = { type: "cli", id: null };
const HOME = "203.0.113.10";
const PASSWORD = "correct horse battery staple";

const shared = databaseForThisFile("keyhold_users", { poolSize: 4 });

// Each test starts from no users, so OWNER counts are the test's own.
beforeEach(async () => {
  await shared.db.auditLog.deleteMany();
  await shared.db.user.deleteMany();
});

afterEach(() => {
  vi.restoreAllMocks();
});

function asActor(user: UserRecord): Actor {
  return { type: "user", id: user.id, role: user.role };
}

async function make(email: string, role: UserRecord["role"], password = PASSWORD): Promise<UserRecord> {
  return createUser(shared.db, { email, password, role }, CLI);
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ApiError);
  return error as ApiError;
}

describe("createUser", () => {
  it("normalises the email, hashes with bcrypt cost 12, and audits without the password or hash", async () => {
    const user = await createUser(shared.db, { email: "  Alice@Example.COM ", name: " Alice ", password: PASSWORD, role: "ADMIN" }, CLI);
    expect(user).toMatchObject({ email: "alice@example.com", name: "Alice", role: "ADMIN", disabledAt: null });
    expect(user).not.toHaveProperty("passwordHash");
    expect(user.id).toMatch(/^usr_[0-9A-Za-z]{22}$/);

    const row = await shared.db.user.findUniqueOrThrow({ where: { id: user.id } });
    expect(bcrypt.getRounds(row.passwordHash)).toBe(12);
    expect(await bcrypt.compare(PASSWORD, row.passwordHash)).toBe(true);

    const audits = await shared.db.auditLog.findMany({ where: { targetId: user.id } });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: "cli", actorId: null, action: "user.create", targetType: "user" });
    expect(audits[0].data).toEqual({ email: "alice@example.com", name: "Alice", role: "ADMIN" });
  });

  it("names a user after the email's local part when no name is given", async () => {
    expect((await make("bob.smith@example.com", "VIEWER")).name).toBe("bob.smith");
  });

  it("refuses bad input with a clear bad_request and writes nothing", async () => {
    const short = await rejection(make("a@example.com", "VIEWER", "elevenchars"));
    expect(short).toMatchObject({ code: "bad_request", status: 400 });
    expect(short.message).toMatch(/at least 12 characters/);
    // bcrypt ignores bytes past 72, so a longer password would be weaker than it looks.
    expect((await rejection(make("a@example.com", "VIEWER", "x".repeat(73)))).message).toMatch(/at most 72 bytes/);
    expect((await rejection(make("not-an-email", "VIEWER"))).message).toMatch(/email must be a valid email address/);
    expect((await rejection(make("a@example.com", "ROOT" as UserRecord["role"]))).message).toMatch(/role must be OWNER, ADMIN or VIEWER/);
    expect(await shared.db.user.count()).toBe(0);
    expect(await shared.db.auditLog.count()).toBe(0);
  });

  it("answers 409 conflict for an email that exists, in any case", async () => {
    await make("carol@example.com", "VIEWER");
    const duplicate = await rejection(make("CAROL@example.com", "ADMIN"));
    expect(duplicate).toMatchObject({ code: "conflict", status: 409 });
    expect(duplicate.message).toContain("carol@example.com");
    expect(await shared.db.user.count()).toBe(1);
  });

  it("lets only an OWNER (or the CLI and system) create users", async () => {
    const owner = await make("owner@example.com", "OWNER");
    const admin = await make("admin@example.com", "ADMIN");
    const viewer = await make("viewer@example.com", "VIEWER");
    await expect(createUser(shared.db, { email: "x@example.com", password: PASSWORD, role: "VIEWER" }, asActor(owner))).resolves.toBeTruthy();
    await expect(createUser(shared.db, { email: "y@example.com", password: PASSWORD, role: "VIEWER" }, { type: "system", id: null })).resolves.toBeTruthy();
    for (const actor of [asActor(admin), asActor(viewer), { type: "key", id: "key_x", scopes: ["keys:write"] } satisfies Actor]) {
      const refused = await rejection(createUser(shared.db, { email: "z@example.com", password: PASSWORD, role: "VIEWER" }, actor));
      expect(refused).toMatchObject({ code: "insufficient_scope", status: 403 });
    }
    expect(await shared.db.user.count({ where: { email: "z@example.com" } })).toBe(0);
    const audit = await shared.db.auditLog.findFirstOrThrow({ where: { targetType: "user", data: { path: ["email"], equals: "x@example.com" } } });
    expect(audit).toMatchObject({ actorType: "user", actorId: owner.id });
  });
});

describe("createFirstOwner", () => {
  it("makes the OWNER while no user exists, and exactly one when five first runs race", async () => {
    const attempts = await Promise.allSettled(
      Array.from({ length: 5 }, (_, i) => createFirstOwner(shared.db, { email: `first${i}@example.com`, name: `First ${i}`, password: PASSWORD })),
    );
    const made = attempts.filter((attempt) => attempt.status === "fulfilled");
    expect(made).toHaveLength(1);
    expect(made[0].value.role).toBe("OWNER");
    for (const attempt of attempts.filter((attempt) => attempt.status === "rejected")) {
      expect(attempt.reason).toBeInstanceOf(ApiError);
      expect([(attempt.reason as ApiError).code, (attempt.reason as ApiError).message]).toEqual(["conflict", "Setup is complete already. Sign in instead."]);
    }
    expect(await shared.db.user.findMany({ select: { email: true } })).toEqual([{ email: made[0].value.email }]);
    expect(await shared.db.auditLog.count({ where: { action: "user.create" } })).toBe(1);
  });

  it("refuses once any user exists, even a VIEWER, and writes nothing", async () => {
    await make("viewer@example.com", "VIEWER");
    const error = await rejection(createFirstOwner(shared.db, { email: "late@example.com", password: PASSWORD }));
    expect(error.code).toBe("conflict");
    expect(await shared.db.user.count()).toBe(1);
    expect(await shared.db.auditLog.count({ where: { action: "user.create" } })).toBe(1);
  });
});

describe("changeRole", () => {
  it("changes a role when an OWNER asks, and audits from and to", async () => {
    const owner = await make("owner@example.com", "OWNER");
    const admin = await make("admin@example.com", "ADMIN");
    const changed = await changeRole(shared.db, admin.id, "VIEWER", asActor(owner));
    expect(changed.role).toBe("VIEWER");
    const audit = await shared.db.auditLog.findFirstOrThrow({ where: { action: "user.role_change" } });
    expect(audit).toMatchObject({ actorType: "user", actorId: owner.id, targetId: admin.id, data: { email: admin.email, from: "ADMIN", to: "VIEWER" } });
  });

  it("refuses ADMINs and VIEWERs, and unknown ids are 404", async () => {
    await make("owner@example.com", "OWNER");
    const admin = await make("admin@example.com", "ADMIN");
    const viewer = await make("viewer@example.com", "VIEWER");
    expect((await rejection(changeRole(shared.db, viewer.id, "OWNER", asActor(admin)))).code).toBe("insufficient_scope");
    expect((await rejection(changeRole(shared.db, viewer.id, "ADMIN", asActor(viewer)))).code).toBe("insufficient_scope");
    expect((await rejection(changeRole(shared.db, "usr_0000000000000000000000", "ADMIN", CLI))).code).toBe("not_found");
    expect((await rejection(changeRole(shared.db, "not-an-id", "ADMIN", CLI))).code).toBe("not_found");
    expect((await shared.db.user.findUniqueOrThrow({ where: { id: viewer.id } })).role).toBe("VIEWER");
  });

  it("never demotes the last active OWNER, whoever asks", async () => {
    const first = await make("first@example.com", "OWNER");
    for (const actor of [asActor(first), CLI]) {
      const refused = await rejection(changeRole(shared.db, first.id, "ADMIN", actor));
      expect(refused).toMatchObject({ code: "conflict", status: 409 });
      expect(refused.message).toMatch(/last active OWNER/);
    }

    const second = await make("second@example.com", "OWNER");
    await changeRole(shared.db, first.id, "ADMIN", asActor(second));
    expect((await rejection(changeRole(shared.db, second.id, "VIEWER", asActor(second)))).code).toBe("conflict");
    expect(await shared.db.user.count({ where: { role: "OWNER" } })).toBe(1);
  });

  it("does not count a disabled OWNER as active", async () => {
    const active = await make("active@example.com", "OWNER");
    const dormant = await make("dormant@example.com", "OWNER");
    await disableUser(shared.db, dormant.email, CLI);
    expect((await changeRole(shared.db, dormant.id, "VIEWER", asActor(active))).role).toBe("VIEWER");
    expect((await rejection(changeRole(shared.db, active.id, "ADMIN", CLI))).code).toBe("conflict");
  });

  it("writes no audit entry when the role does not change", async () => {
    const owner = await make("owner@example.com", "OWNER");
    await changeRole(shared.db, owner.id, "OWNER", CLI);
    expect(await shared.db.auditLog.count({ where: { action: "user.role_change" } })).toBe(0);
  });
});

describe("disableUser", () => {
  it("disables a user once, audits it, and lets the user no longer sign in", async () => {
    const owner = await make("owner@example.com", "OWNER");
    const viewer = await make("viewer@example.com", "VIEWER");
    const disabled = await disableUser(shared.db, " Viewer@Example.com", asActor(owner));
    expect(disabled.disabledAt).toBeInstanceOf(Date);
    const again = await disableUser(shared.db, viewer.email, asActor(owner));
    expect(again.disabledAt).toEqual(disabled.disabledAt);
    const audits = await shared.db.auditLog.findMany({ where: { action: "user.disable" } });
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: "user", actorId: owner.id, targetId: viewer.id, data: { email: viewer.email } });
    expect(await verifyCredentials(shared.db, viewer.email, PASSWORD)).toBeNull();
  });

  it("refuses non-OWNER users and unknown emails", async () => {
    await make("owner@example.com", "OWNER");
    const admin = await make("admin@example.com", "ADMIN");
    const viewer = await make("viewer@example.com", "VIEWER");
    expect((await rejection(disableUser(shared.db, viewer.email, asActor(admin)))).code).toBe("insufficient_scope");
    expect((await rejection(disableUser(shared.db, "nobody@example.com", CLI))).code).toBe("not_found");
  });

  it("never disables the last active OWNER, even the OWNER themselves", async () => {
    const owner = await make("owner@example.com", "OWNER");
    for (const actor of [asActor(owner), CLI]) {
      const refused = await rejection(disableUser(shared.db, owner.email, actor));
      expect(refused).toMatchObject({ code: "conflict", status: 409 });
      expect(refused.message).toMatch(/owner@example\.com is the last active OWNER/);
    }
    expect((await shared.db.user.findUniqueOrThrow({ where: { id: owner.id } })).disabledAt).toBeNull();
  });

  it("leaves one OWNER when two OWNERs disable each other at the same moment", async () => {
    const a = await make("a@example.com", "OWNER");
    const b = await make("b@example.com", "OWNER");
    const results = await Promise.allSettled([disableUser(shared.db, b.email, asActor(a)), disableUser(shared.db, a.email, asActor(b))]);
    expect(results.filter((result) => result.status === "fulfilled")).toHaveLength(1);
    const rejected = results.find((result) => result.status === "rejected");
    expect((rejected as PromiseRejectedResult).reason).toMatchObject({ code: "conflict" });
    expect(await shared.db.user.count({ where: { role: "OWNER", disabledAt: null } })).toBe(1);
  });
});

describe("passwords", () => {
  it("resetPassword replaces the password, only for an OWNER, and audits no secret", async () => {
    const owner = await make("owner@example.com", "OWNER");
    const viewer = await make("viewer@example.com", "VIEWER");
    expect((await rejection(resetPassword(shared.db, viewer.email, "a brand new password", asActor(viewer)))).code).toBe("insufficient_scope");
    expect((await rejection(resetPassword(shared.db, viewer.email, "too short", CLI))).code).toBe("bad_request");
    expect((await rejection(resetPassword(shared.db, "nobody@example.com", "a brand new password", CLI))).code).toBe("not_found");

    await resetPassword(shared.db, "VIEWER@example.com", "a brand new password", asActor(owner));
    expect(await verifyCredentials(shared.db, viewer.email, PASSWORD)).toBeNull();
    expect((await verifyCredentials(shared.db, viewer.email, "a brand new password"))?.id).toBe(viewer.id);
    const audit = await shared.db.auditLog.findFirstOrThrow({ where: { action: "user.password_reset" } });
    expect(audit).toMatchObject({ actorType: "user", actorId: owner.id, targetId: viewer.id, data: { email: viewer.email } });
    expect(JSON.stringify(audit.data)).not.toMatch(/brand new|\$2[aby]\$/);
  });

  it("changeOwnPassword needs the current password and audits as the user", async () => {
    const viewer = await make("viewer@example.com", "VIEWER");
    const wrong = await rejection(changeOwnPassword(shared.db, viewer.id, "not my password", "a brand new password", HOME));
    expect(wrong).toMatchObject({ code: "bad_request" });
    expect(wrong.message).toMatch(/current password is not correct/);
    expect((await rejection(changeOwnPassword(shared.db, viewer.id, PASSWORD, "short", HOME))).message).toMatch(/at least 12/);
    expect(await verifyCredentials(shared.db, viewer.email, PASSWORD)).not.toBeNull();

    await changeOwnPassword(shared.db, viewer.id, PASSWORD, "a brand new password", HOME);
    expect(await verifyCredentials(shared.db, viewer.email, PASSWORD)).toBeNull();
    expect(await verifyCredentials(shared.db, viewer.email, "a brand new password")).not.toBeNull();
    const audit = await shared.db.auditLog.findFirstOrThrow({ where: { action: "user.password_change" } });
    expect(audit).toMatchObject({ actorType: "user", actorId: viewer.id, targetId: viewer.id });
    expect(JSON.stringify(audit.data)).not.toMatch(/brand new|horse|\$2[aby]\$/);

    await disableUser(shared.db, viewer.email, CLI);
    expect((await rejection(changeOwnPassword(shared.db, viewer.id, "a brand new password", "another new password", HOME))).code).toBe("not_found");
  });
});

describe("changeOwnPassword throttling (DESIGN.md section 15.7)", () => {
  it("refuses, unchecked and changing nothing, guesses at the current password from an address that keeps failing", async () => {
    const viewer = await make("guessed@example.com", "VIEWER");
    const throttle = sharedLoginThrottle();
    const guesser = { email: viewer.email, address: "198.51.100.66" };
    // A burst of guesses still being checked: the throttle counts them as failures.
    const burst = Array.from({ length: 30 }, () => throttle.begin(guesser)).filter((admission) => !("refused" in admission));
    try {
      const refused = await rejection(changeOwnPassword(shared.db, viewer.id, PASSWORD, "a brand new password", guesser.address));
      expect(refused).toMatchObject({ code: "rate_limited", status: 429 });
      expect(await verifyCredentials(shared.db, viewer.email, PASSWORD)).not.toBeNull();
      expect(await shared.db.auditLog.count({ where: { action: "user.password_change", targetId: viewer.id } })).toBe(0);
      // The same account from an address that did not fail is not refused.
      await changeOwnPassword(shared.db, viewer.id, PASSWORD, "a brand new password", HOME);
      expect(await verifyCredentials(shared.db, viewer.email, "a brand new password")).not.toBeNull();
    } finally {
      for (let i = 0; i < burst.length; i++) throttle.finish(guesser, "unknown");
    }
  });
});

describe("verifyCredentials", () => {
  it("returns the user without its hash for the right password, in any email case", async () => {
    const user = await make("dana@example.com", "ADMIN");
    const found = await verifyCredentials(shared.db, "  DANA@example.com", PASSWORD);
    expect(found).toEqual(user);
    expect(found).not.toHaveProperty("passwordHash");
  });

  it("answers null alike for a wrong password, an unknown email, a malformed email and a disabled user", async () => {
    await make("owner@example.com", "OWNER");
    const user = await make("erin@example.com", "VIEWER");
    await make("frank@example.com", "VIEWER");
    await disableUser(shared.db, "frank@example.com", CLI);

    const compare = vi.spyOn(sharedPasswordHasher(), "compare");
    expect(await verifyCredentials(shared.db, user.email, "wrong password!!")).toBeNull();
    expect(await verifyCredentials(shared.db, "nobody@example.com", PASSWORD)).toBeNull();
    expect(await verifyCredentials(shared.db, "not an email", PASSWORD)).toBeNull();
    expect(await verifyCredentials(shared.db, "frank@example.com", PASSWORD)).toBeNull();
    // Every answer pays for one bcrypt comparison at cost 12, so timing does not tell them apart.
    expect(compare).toHaveBeenCalledTimes(4);
    for (const [, hash] of compare.mock.calls) expect(bcrypt.getRounds(hash)).toBe(12);
  });
});
