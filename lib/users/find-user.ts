import type { Db } from "../db/client";
import type { UserRecord } from "./service";

/** The user with this (normalized) email, without the password hash; null when there is none. */
export async function findUserByEmail(db: Db, email: string): Promise<UserRecord | null> {
  return db.user.findUnique({
    where: { email },
    select: { id: true, email: true, name: true, role: true, createdAt: true, disabledAt: true },
  });
}
