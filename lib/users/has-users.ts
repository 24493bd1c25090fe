import type { Db } from "../db/client";

// Once a user exists there always will be (users are disabled, never deleted), so the answer
// is remembered and first-run checks stop costing a query.
const holder = globalThis as unknown as { keyholdHasUsers?: boolean };

export async function hasUsers(db: Db): Promise<boolean> {
  if (holder.keyholdHasUsers) return true;
  const found = (await db.user.count()) > 0;
  if (found) holder.keyholdHasUsers = true;
  return found;
}
