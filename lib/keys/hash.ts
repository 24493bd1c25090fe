import { hash } from "node:crypto";

// A key carries ~190 bits of randomness, so a fast hash is safe to store and look up by;
// a slow password hash would add tens of milliseconds to every request (DESIGN.md section 3).
// crypto.hash is the one-shot form: half the CPU of createHash().update().digest() per request.
export function hashKey(key: string): string {
  return hash("sha256", key, "hex");
}
