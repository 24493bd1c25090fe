import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { authOptions } from "../../lib/auth/options";
import { sessionUser, type SessionClaims } from "../../lib/auth/session-user";
import { createDb, type Db } from "../../lib/db/client";
import { replaceProcessSingleton } from "../../lib/process/process-singleton";
import { changeOwnPassword, createUser, resetPassword, type UserRecord } from "../../lib/users/service";

// DESIGN.md section 15.7 and issue 13 item 9: signing out ends the session on the server (a
// copy of the cookie stops working), and the session names the user without anything derived
// from the password hash.

const CLI: Actor = { type: "cli", id: null };
const PASSWORD = "correct horse battery staple";
let db: Db;

beforeAll(() => {
  db = createDb(process.env.DATABASE_URL!, 2);
  // authOptions' callbacks use the process's shared client: this file's.
  replaceProcessSingleton("keyholdDb", db);
});

afterAll(async () => {
  replaceProcessSingleton("keyholdDb", undefined);
  await db?.$disconnect();
});

let counter = 0;
async function user(): Promise<UserRecord> {
  counter += 1;
  return createUser(db, { email: `session-${Date.now()}-${counter}@example.com`, password: PASSWORD, role: "ADMIN" }, CLI);
}

/** What next-auth does at sign-in: the jwt callback's token, then what the session callback shows. */
async function signIn(record: UserRecord) {
  const jwt = authOptions.callbacks!.jwt!;
  const token = await jwt({
    token: { sub: record.id },
    user: { id: record.id, email: record.email, name: record.name },
    account: null,
    trigger: "signIn",
  } as never);
  const session = await authOptions.callbacks!.session!({ session: { user: { email: record.email, name: record.name }, expires: "" }, token } as never);
  return { token, claims: (session as { user: SessionClaims }).user };
}

describe("dashboard sessions", () => {
  it("carry nothing derived from the password hash", async () => {
    const { token, claims } = await signIn(await user());
    const hash = (await db.user.findFirstOrThrow({ where: { id: claims.id as string } })).passwordHash;
    expect(Object.keys(claims).sort()).toEqual(["email", "id", "name", "sv"]);
    expect(token).not.toHaveProperty("pwf");
    expect(JSON.stringify({ token, claims })).not.toContain(hash.slice(7, 29));
  });

  it("end on the server at sign-out: the same token is refused afterwards, a new sign-in works", async () => {
    const record = await user();
    const { token, claims } = await signIn(record);
    expect(await sessionUser(db, claims)).toMatchObject({ id: record.id });
    await authOptions.events!.signOut!({ token, session: null } as never);
    expect(await sessionUser(db, claims)).toBeNull();
    expect(await sessionUser(db, (await signIn(record)).claims)).toMatchObject({ id: record.id });
  });

  it("end when the password is reset or changed", async () => {
    const record = await user();
    const before = (await signIn(record)).claims;
    await resetPassword(db, record.email, "a brand new password", CLI);
    expect(await sessionUser(db, before)).toBeNull();
    const again = (await signIn(record)).claims;
    await changeOwnPassword(db, record.id, "a brand new password", "another new password", "203.0.113.1");
    expect(await sessionUser(db, again)).toBeNull();
  });

  it("refuse claims that are missing, forged or of another shape", async () => {
    const record = await user();
    const { claims } = await signIn(record);
    for (const forged of [
      {},
      { id: record.id },
      { id: record.id, sv: String(claims.sv) },
      { id: record.id, sv: (claims.sv as number) + 1 },
      { id: "usr_nope", sv: 0 },
    ]) {
      expect(await sessionUser(db, forged)).toBeNull();
    }
  });
});
