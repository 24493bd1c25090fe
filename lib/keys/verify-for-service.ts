import { recordKeyUse } from "../observability/record-key-use";
import { noteVerifiedKey } from "../observability/request-context";
import { sharedKeyVerifier } from "./shared-verifier";
import type { VerifyKeyResponse } from "./verify-schemas";

// Verification on behalf of another service (POST /api/v1/keys/verify). It is a use of the
// verified key like any protected request: rate limit, quota, and a usage event of its own.
// Keys sent here do not count toward the caller's invalid-key throttle: the caller is a
// trusted service relaying its own clients' keys.
// The usage event names the address the key was presented from when the caller says which
// (body `ip`); otherwise the caller's own.
export async function verifyKeyForService(
  candidate: string,
  use: { scopes: readonly string[]; ip: string | null; cost: number },
  request: { method: string; path: string; ip: string | null },
): Promise<VerifyKeyResponse> {
  const started = performance.now();
  const result = await sharedKeyVerifier().verify(candidate, use.scopes, { ip: use.ip, cost: use.cost });
  const latencyMs = performance.now() - started;
  const keyId = result.key?.id ?? null;
  const outcome = result.valid ? "valid" : result.code;
  noteVerifiedKey(keyId, outcome);
  recordKeyUse({
    keyId,
    outcome,
    verificationMs: latencyMs,
    method: request.method,
    path: request.path,
    status: 200,
    latencyMs,
    ip: use.ip ?? request.ip,
    cost: use.cost,
  });
  if (!result.valid) return { valid: false, code: result.code };
  const { key } = result;
  return {
    valid: true,
    keyId: key.id,
    ownerId: key.ownerId,
    name: key.name,
    environment: key.environment,
    scopes: [...key.scopes],
    meta: key.meta,
    expiresAt: key.expiresAt === null ? null : new Date(key.expiresAt).toISOString(),
    ratelimit: key.ratelimit,
    remaining: result.remaining,
  };
}
