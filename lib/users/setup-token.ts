import { createHmac, timingSafeEqual } from "node:crypto";

// First run (DESIGN.md section 15.7): while no user exists, /setup needs this token, which the
// server prints at start. Derived from NEXTAUTH_SECRET rather than drawn at random, so every
// instance sharing the secret prints and accepts the same one, and a restart keeps it; it
// reveals nothing of the secret (an HMAC), and it dies with the first user because /setup does.
export function setupToken(secret: string): string {
  return createHmac("sha256", secret).update("keyhold first-run setup token").digest("base64url").slice(0, 32);
}

export function isSetupToken(secret: string | undefined, candidate: unknown): boolean {
  if (!secret || typeof candidate !== "string") return false;
  const expected = Buffer.from(setupToken(secret));
  const given = Buffer.from(candidate);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
