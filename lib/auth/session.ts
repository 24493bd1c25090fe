import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import type { Actor, Role } from "./actor";
import { getDb } from "../db/client";
import { authOptions } from "./options";

export interface CurrentUser {
  id: string;
  email: string;
  name: string;
  role: Role;
}

/** The signed-in user as the database has them now, or null (signed out, deleted or disabled). */
export async function getCurrentUser(): Promise<CurrentUser | null> {
  const session = await getServerSession(authOptions);
  const id = (session?.user as { id?: string } | undefined)?.id;
  if (!id) return null;
  const user = await getDb().user.findUnique({ where: { id }, select: { id: true, email: true, name: true, role: true, disabledAt: true } });
  if (!user || user.disabledAt) return null;
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** For pages: the user, or a redirect to sign in. */
export async function requireUser(): Promise<CurrentUser> {
  const user = await getCurrentUser();
  if (!user) redirect("/login");
  return user;
}

export function userActor(user: CurrentUser, ip: string | null = null): Actor {
  return { type: "user", id: user.id, role: user.role, ip };
}

export function canChange(user: CurrentUser): boolean {
  return user.role !== "VIEWER";
}
