import type { Role } from "../access/roles";
import type { Db } from "../db/client";
import { isId } from "../db/ids";

// Whose session this is, decided on the server from the database on every request (DESIGN.md
// section 15.7). A session carries the user id and the session version it was signed in at,
// nothing derived from the password. Signing out, a password change or a reset raises the
// version, which ends every session signed in before it: on the server, not only in the browser.

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** What a session carries (next-auth's token, as the session callback hands it on). */
export interface SessionClaims {
  id?: unknown;
  sv?: unknown;
}

/** The user as the database has them now, or null (signed out, deleted, disabled, or an ended session). */
export async function sessionUser(db: Db, claims: SessionClaims): Promise<CurrentUser | null> {
  const { id, sv } = claims;
  if (typeof id !== "string" || !isId("usr", id) || typeof sv !== "number") return null;
  const user = await db.user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, role: true, disabledAt: true, sessionVersion: true },
  });
  if (!user || user.disabledAt || user.sessionVersion !== sv) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** Ends every session of the user; a no-op for an id that is not a user's. */
export async function endSessions(db: Db, userId: unknown): Promise<void> {
  if (typeof userId !== "string" || !isId("usr", userId)) return;
  await db.user.updateMany({ where: { id: userId }, data: { sessionVersion: { increment: 1 } } });
}
