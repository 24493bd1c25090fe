import { createHash } from "node:crypto";

// A key carries ~190 bits of randomness, so a fast hash is safe to store and look up by;
// a slow password hash would add tens of milliseconds to every request (DESIGN.md section 3).
export function hashKey(key: string): string {
  return createHash("sha256").update(key, "utf8").digest("hex");
}
