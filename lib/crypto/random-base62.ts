import { randomBytes } from "node:crypto";

export const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

// 248 = 4 * 62: bytes from 248 up would make the first 8 characters more likely than the rest.
const REJECT_FROM = 256 - (256 % BASE62.length);

/** `length` uniformly random base62 characters from the CSPRNG (rejection sampling, no modulo bias). */
export function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    // About 3% of bytes are rejected, so 1.5x covers the length in one draw almost always.
    const bytes = randomBytes(Math.ceil((length - out.length) * 1.5));
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const byte = bytes[i]!;
      if (byte < REJECT_FROM) out += BASE62[byte % BASE62.length];
    }
  }
  return out;
}
