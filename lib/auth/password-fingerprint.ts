import { createHash } from "node:crypto";

// A session carries this fingerprint of the password hash it was signed in with, and is valid
// only while the user's hash still matches: a new password (changed by the user, reset by an
// OWNER or the CLI) ends every session signed in with the old one, on its next request, with no
// session table. It is a hash of a bcrypt hash, inside next-auth's encrypted token.
export function passwordFingerprint(passwordHash: string): string {
  return createHash("sha256").update(passwordHash).digest("base64url").slice(0, 22);
}
