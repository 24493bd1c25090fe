"use server";

import { getCurrentUser } from "@/lib/auth/session";

/** Who the sidebar should show now: the email and role as the database has them, or null. */
export async function readSidebarUser(): Promise<{ email: string; role: string } | null> {
  const user = await getCurrentUser();
  return user && { email: user.email, role: user.role };
}
