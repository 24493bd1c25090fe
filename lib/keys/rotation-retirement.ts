import type { ApiKey, Prisma } from "../db/generated/client";
import { ApiError } from "../errors/api-error";

// DESIGN.md section 15.7: a key that was rotated away retires at the end of its grace period.
// Letting it take a later or no expiry would keep a key someone chose to replace (often because
// it leaked) alive for ever; ending the grace period sooner stays allowed.
export async function assertRetirementKept(tx: Prisma.TransactionClient, existing: ApiKey, expiresAt: Date | null): Promise<void> {
  const later = expiresAt === null || existing.expiresAt === null || expiresAt > existing.expiresAt;
  if (!later) return;
  const successor = await tx.apiKey.findFirst({ where: { rotatedFromId: existing.id }, select: { id: true } });
  if (!successor) return;
  const message = `This key was rotated (to ${successor.id}); its expiresAt can only move earlier.`;
  throw new ApiError("bad_request", message, { details: [{ path: "expiresAt", message: "cannot be later or null on a rotated key" }] });
}
