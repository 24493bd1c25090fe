import { getServerSession } from "next-auth";
import { redirect } from "next/navigation";
import { cache } from "react";

import type { Actor } from "../access/actor";
import { getDb } from "../db/client";
import { authOptions } from "./options";
import { sessionUser, type CurrentUser, type SessionClaims } from "./session-user";

export type { CurrentUser } from "./session-user";

/** The signed-in user as the database has them now, or null. Read once per request however many layouts and pages ask. */
export const getCurrentUser = cache(async (): Promise<CurrentUser | null> => {
  const session = await getServerSession(authOptions);
  return sessionUser(getDb(), (session?.user ?? {}) as SessionClaims);
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
