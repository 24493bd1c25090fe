import type { Db } from "../db/client";
import { processSingleton } from "../process/process-singleton";

// Once a user exists there always will be (users are disabled, never deleted), so the answer
// is remembered and first-run checks stop costing a query.
export async function hasUsers(db: Db): Promise<boolean> {
  const remembered = processSingleton("keyholdHasUsers", () => ({ found: false }));
  if (remembered.found) return true;
  remembered.found = (await db.user.count()) > 0;
  return remembered.found;
}
