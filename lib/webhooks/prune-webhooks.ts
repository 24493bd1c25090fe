import type { Db } from "../db/client";

// Deliveries are kept 30 days (DESIGN.md section 15.5); so are alert marks, which by then can
// no longer matter (the expiry job looks back 7 days, the debounces at most an hour).
const RETENTION = "30 days";

export async function pruneWebhookHistory(db: Db): Promise<number> {
  let total = 0;
  for (;;) {
    const deleted = await db.$executeRaw`
      DELETE FROM webhook_deliveries WHERE id IN (
        SELECT id FROM webhook_deliveries WHERE created_at < now() - ${RETENTION}::interval LIMIT 5000)`;
    total += deleted;
    if (deleted < 5000) break;
  }
  await db.$executeRaw`DELETE FROM alert_marks WHERE marked_at < now() - ${RETENTION}::interval`;
  return total;
}
