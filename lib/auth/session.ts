import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { cache } from "react";
import type { Actor } from "../access/actor";
import type { Role } from "../access/roles";
import { getDb } from "../db/client";
import { authOptions } from "./options";
import { passwordFingerprint } from "./password-fingerprint";

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/**
 * The signed-in user as the database has them now, or null (signed out, deleted, disabled, or
 * signed in with a password that has since changed).
 * Read once per request however many layouts and pages ask.
 */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const session = await getServerSession(authOptions);
  const { id, pwf } = (session?.user ?? {}) as { id?: string; pwf?: string | null };
  if (!id || !pwf) return null;
  const user = await getDb().user.findUnique({
    where: { id },
    select: { id: true, email: true, name: true, role: true, disabledAt: true, passwordHash: true },
  });
  if (!user || user.disabledAt || passwordFingerprint(user.passwordHash) !== pwf) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
});

/** For pages: the user, or a redirect to sign in. */
export async function requireUser(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}

export function userActor(user: CurrentUser, ip: string | null = null): Actor {
  return { type: "user", id: user.id, role: user.role, ip };
}
