import { z } from "zod";

import type { Actor } from "../access/actor";
import { can } from "../access/permissions";
import { ROLES, type Role } from "../access/roles";
import { writeAudit } from "../audit/write-audit";
import { sharedPasswordHasher } from "../crypto/password-hasher";
import type { Db } from "../db/client";
import { Prisma, type User } from "../db/generated/client";
import { isId, newId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import { throttledCheck } from "../ratelimit/throttled-check";

// Dashboard users (DESIGN.md sections 5 and 8): the only code that writes the users table,
// shared by the dashboard, next-auth's Credentials provider and the admin CLI. Every change is
// authorized here and audited in the same transaction; passwords and their hashes never reach
// the audit log, an error message or a return value.

/** A user as callers see it: everything but the password hash and the session version. */
export type UserRecord = Omit<User, "passwordHash" | "sessionVersion">;

export const PASSWORD_MIN_LENGTH = 12;
// bcrypt ignores everything after 72 bytes: a longer password would silently match any other
// password with the same first 72 bytes, so it is refused instead.
const PASSWORD_MAX_BYTES = 72;
const BCRYPT_COST = 12;

// A bcrypt hash (cost 12) of a random string nobody kept. Comparing against it when the email is
// unknown or the user disabled makes those answers take as long as a wrong password, so response
// times do not tell which emails have accounts. A constant avoids hashing at import time.
const DUMMY_HASH = "$2b$12$CwFpYDmeUC45bjt4aCmHdeTa7YMmonOE3Z1tX5Um1A22Ni5ByHH4u";

const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.email({ message: "must be a valid email address, e.g. alice@example.com" }).max(254, "must be at most 254 characters"));
const roleSchema = z.enum(ROLES, { message: "must be OWNER, ADMIN or VIEWER" });
const nameSchema = z.string().trim().min(1, "must not be empty").max(200, "must be at most 200 characters");

/** Trimmed and lowercased, so `Alice@Example.com ` and `alice@example.com` are one account. */
export function normalizeEmail(email: string): string {
  return parseField("email", emailSchema, email);
}

/** Throws a bad_request naming the rule the password breaks. */
export function checkPassword(password: string): void {
  if ([...password].length < PASSWORD_MIN_LENGTH) {
    throw fieldError("password", `Password must be at least ${PASSWORD_MIN_LENGTH} characters long.`);
  }
  if (Buffer.byteLength(password, "utf8") > PASSWORD_MAX_BYTES) {
    throw fieldError("password", `Password must be at most ${PASSWORD_MAX_BYTES} bytes long (bcrypt ignores the rest).`);
  }
}

export interface NewUser {
  email: string;
  /** Defaults to the part of the email before the @. */
  name?: string | null;
  password: string;
  role: Role;
}

export async function createUser(db: Db, input: NewUser, actor: Actor): Promise<UserRecord> {
  assertCanManageUsers(actor);
  return insertUser(db, input, actor, async () => {});
}

// Any constant unlikely to collide with another advisory lock (the migration runner uses Prisma's).
const FIRST_RUN_LOCK = 4_817_220_031;

/**
 * First run (/setup): the OWNER account, made only while no user exists. Two first runs at once
 * make one OWNER: the empty table has no row to lock, so an advisory lock orders them.
 */
export async function createFirstOwner(db: Db, input: Omit<NewUser, "role">): Promise<UserRecord> {
  return insertUser(db, { ...input, role: "OWNER" }, { type: "system", id: null }, async (tx) => {
    await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_RUN_LOCK})`;
    if ((await tx.user.count()) > 0) throw new ApiError("conflict", "Setup is complete already. Sign in instead.");
  });
}

async function insertUser(db: Db, input: NewUser, actor: Actor, guard: (tx: Tx) => Promise<void>): Promise<UserRecord> {
  const email = normalizeEmail(input.email);
  const role = parseField("role", roleSchema, input.role);
  const name = input.name == null || input.name.trim() === "" ? email.slice(0, email.indexOf("@")) : parseField("name", nameSchema, input.name);
  checkPassword(input.password);
  // Hashed before the transaction: 12 rounds take a noticeable fraction of a second, and no
  // row lock or connection should be held for that long.
  const passwordHash = await sharedPasswordHasher().hash(input.password, BCRYPT_COST);
  try {
    return await db.$transaction(async (tx) => {
      await guard(tx);
      const user = await tx.user.create({ data: { id: newId("usr"), email, name, role, passwordHash } });
      await writeAudit(tx, { actor, action: "user.create", targetType: "user", targetId: user.id, data: { email, name, role } });
      return toRecord(user);
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new ApiError("conflict", `A user with the email ${email} exists already.`);
    }
    throw error;
  }
}

export async function resetPassword(db: Db, email: string, newPassword: string, actor: Actor): Promise<UserRecord> {
  assertCanManageUsers(actor);
  const normalized = normalizeEmail(email);
  checkPassword(newPassword);
  const passwordHash = await sharedPasswordHasher().hash(newPassword, BCRYPT_COST);
  return db.$transaction(async (tx) => {
    const user = await lockUser(tx, { email: normalized });
    // A new password ends every session signed in with the old one.
    const updated = await tx.user.update({ where: { id: user.id }, data: { passwordHash, sessionVersion: { increment: 1 } } });
    await writeAudit(tx, { actor, action: "user.password_reset", targetType: "user", targetId: user.id, data: { email: normalized } });
    return toRecord(updated);
  });
}

/** Disabling twice is not an error; the first time stands and only it is audited. */
export async function disableUser(db: Db, email: string, actor: Actor): Promise<UserRecord> {
  assertCanManageUsers(actor);
  const normalized = normalizeEmail(email);
  return db.$transaction(async (tx) => {
    const activeOwners = await lockActiveOwners(tx);
    const user = await lockUser(tx, { email: normalized });
    if (user.disabledAt) return toRecord(user);
    if (user.role === "OWNER" && activeOwners <= 1) {
      throw new ApiError(
        "conflict",
        `${user.email} is the last active OWNER and cannot be disabled: make another user OWNER first, so someone can still manage users.`,
      );
    }
    const updated = await tx.user.update({ where: { id: user.id }, data: { disabledAt: new Date() } });
    await writeAudit(tx, { actor, action: "user.disable", targetType: "user", targetId: user.id, data: { email: user.email } });
    return toRecord(updated);
  });
}

export async function changeRole(db: Db, userId: string, role: Role, actor: Actor): Promise<UserRecord> {
  assertCanManageUsers(actor);
  const newRole = parseField("role", roleSchema, role);
  return db.$transaction(async (tx) => {
    const activeOwners = await lockActiveOwners(tx);
    const user = await lockUser(tx, { id: userId });
    if (user.role === newRole) return toRecord(user);
    if (user.role === "OWNER" && !user.disabledAt && activeOwners <= 1) {
      throw new ApiError(
        "conflict",
        `${user.email} is the last active OWNER and cannot be given another role: make another user OWNER first, so someone can still manage users.`,
      );
    }
    const updated = await tx.user.update({ where: { id: user.id }, data: { role: newRole } });
    await writeAudit(tx, {
      actor,
      action: "user.role_change",
      targetType: "user",
      targetId: user.id,
      data: { email: user.email, from: user.role, to: newRole },
    });
    return toRecord(updated);
  });
}

/**
 * A signed-in user changing their own password; knowing the current one is the authorization.
 * Guesses at it are throttled like sign-ins (a stolen session must not become a password oracle);
 * `address` is the client's, as the throttles count it.
 */
export async function changeOwnPassword(db: Db, userId: string, currentPassword: string, newPassword: string, address: string): Promise<UserRecord> {
  const user = isId("usr", userId) ? await db.user.findUnique({ where: { id: userId } }) : null;
  if (!user || user.disabledAt) throw new ApiError("not_found", "No active user with this id.");
  const checked = await throttledCheck({ email: user.email, address }, async () =>
    (await sharedPasswordHasher().compare(currentPassword, user.passwordHash)) ? true : null,
  );
  if (checked === "refused") throw new ApiError("rate_limited", "Too many wrong passwords. Wait a few minutes, then try again.");
  if (checked === null) throw fieldError("currentPassword", "The current password is not correct.");
  checkPassword(newPassword);
  const passwordHash = await sharedPasswordHasher().hash(newPassword, BCRYPT_COST);
  return db.$transaction(async (tx) => {
    // Compare-and-set on the hash just checked: a reset or another change that landed meanwhile wins.
    const changed = await tx.user.updateMany({
      where: { id: user.id, passwordHash: user.passwordHash, disabledAt: null },
      data: { passwordHash, sessionVersion: { increment: 1 } },
    });
    if (changed.count === 0) throw new ApiError("conflict", "The password was changed meanwhile; sign in again and retry.");
    const actor: Actor = { type: "user", id: user.id, role: user.role };
    await writeAudit(tx, { actor, action: "user.password_change", targetType: "user", targetId: user.id, data: { email: user.email } });
    return toRecord(await tx.user.findUniqueOrThrow({ where: { id: user.id } }));
  });
}

/**
 * The user for a correct email and password, else null: unknown, disabled and wrong all look
 * alike, in answer and (roughly) in time, so sign-in reveals nothing about which accounts exist.
 */
export async function verifyCredentials(db: Db, email: string, password: string): Promise<UserRecord | null> {
  const parsed = emailSchema.safeParse(email);
  const user = parsed.success ? await db.user.findUnique({ where: { email: parsed.data } }) : null;
  if (!user || user.disabledAt) {
    await sharedPasswordHasher().compare(password, DUMMY_HASH);
    return null;
  }
  return (await sharedPasswordHasher().compare(password, user.passwordHash)) ? toRecord(user) : null;
}

function assertCanManageUsers(actor: Actor): void {
  if (actor.type === "key") throw new ApiError("insufficient_scope", "API keys cannot manage dashboard users.");
  if (!can(actor, "manageUsers")) throw new ApiError("insufficient_scope", "Only an OWNER can manage users.");
}

type Tx = Prisma.TransactionClient;

// Locks every active OWNER row, in id order so concurrent callers cannot deadlock. Two OWNERs
// disabling each other at once then run one after the other, and the second sees that the
// first left only one OWNER: the count can never reach zero.
async function lockActiveOwners(tx: Tx): Promise<number> {
  const rows = await tx.$queryRaw<{ id: string }[]>`
    SELECT id FROM users WHERE role = 'OWNER' AND disabled_at IS NULL ORDER BY id FOR UPDATE`;
  return rows.length;
}

async function lockUser(tx: Tx, where: { id: string } | { email: string }): Promise<User> {
  const rows =
    "id" in where
      ? isId("usr", where.id)
        ? await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE id = ${where.id} FOR UPDATE`
        : []
      : await tx.$queryRaw<{ id: string }[]>`SELECT id FROM users WHERE email = ${where.email} FOR UPDATE`;
  if (rows.length === 0) {
    throw new ApiError("not_found", "id" in where ? "No user with this id." : `No user with the email ${where.email}.`);
  }
  return tx.user.findUniqueOrThrow({ where: { id: rows[0].id } });
}

function toRecord(user: User): UserRecord {
  // Spelled out rather than spread-and-delete, so a column added later is not exposed by default.
  return { id: user.id, email: user.email, name: user.name, role: user.role, createdAt: user.createdAt, disabledAt: user.disabledAt };
}

function parseField<T>(field: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw fieldError(field, `${field} ${result.error.issues[0]?.message ?? "is not valid"}.`);
}

function fieldError(field: string, message: string): ApiError {
  return new ApiError("bad_request", message, { details: [{ path: field, message }] });
}
