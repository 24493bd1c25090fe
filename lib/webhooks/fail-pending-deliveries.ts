import type { Prisma } from "../db/generated/client";

export const AUTO_DISABLED_REASON = "Disabled automatically: every delivery failed for 24 hours.";

/** A disabled endpoint gets nothing: what it had waiting is given up, visibly, in its log. */
export async function failPendingDeliveries(tx: Prisma.TransactionClient, endpointId: string): Promise<void> {
  await tx.$executeRaw`
    UPDATE webhook_deliveries SET status = 'failed', last_error = coalesce(last_error, 'endpoint disabled')
    WHERE endpoint_id = ${endpointId} AND status = 'pending'`;
}
