import type { Actor } from "../access/actor";
import type { Prisma } from "../db/generated/client";

export interface AuditEntry {
  actor: Actor;
  action: string;
  targetType: string;
  targetId: string | null;
  data?: Record<string, unknown>;
}

/** Always called with the transaction that makes the change, so there is no change without its entry. */
export async function writeAudit(tx: Prisma.TransactionClient, entry: AuditEntry): Promise<void> {
  await tx.auditLog.create({
    data: {
      actorType: entry.actor.type,
      actorId: entry.actor.id,
      action: entry.action,
      targetType: entry.targetType,
      targetId: entry.targetId,
      data: (entry.data ?? {}) as Prisma.InputJsonValue,
      ip: entry.actor.ip ?? null,
    },
  });
}
