// The API key format of DESIGN.md section 3: `kh_<env>_<secret><check>`.
// Framework-free on purpose: the CLI, route handlers and benchmarks all share it.
import { crc32 } from "node:zlib";

import { BASE62, randomBase62 } from "../crypto/random-base62";

export const KEY_ENVIRONMENTS = ["live", "test"] as const;

export type KeyEnvironment = (typeof KEY_ENVIRONMENTS)[number];

export type ParsedKey = { readonly environment: KeyEnvironment };

const SECRET_LENGTH = 32;
const CHECK_LENGTH = 6; // 62^6 > 2^32, so every CRC32 fits
const PREFIX_LENGTH = "kh_live_".length; // "kh_test_" has the same length
const BODY_LENGTH = PREFIX_LENGTH + SECRET_LENGTH;
const KEY_LENGTH = BODY_LENGTH + CHECK_LENGTH;
const START_LENGTH = 12;

const PREFIX = `kh_(${KEY_ENVIRONMENTS.join("|")})_`;

// Published so secret scanners and other services can find leaked keys with the same rule:
// ^kh_(live|test)_[0-9A-Za-z]{38}$
export const KEY_PATTERN = new RegExp(`^${PREFIX}[0-9A-Za-z]{${SECRET_LENGTH + CHECK_LENGTH}}$`);

/** What the dashboard and the CLI show of a key, and what they search by: `kh_live_a1B2`. */
export const KEY_START_PATTERN = new RegExp(`^${PREFIX}[0-9A-Za-z]{${START_LENGTH - PREFIX_LENGTH}}$`);

// Eight characters past the prefix are more than any start: a whole key, or enough of one to
// matter, wherever it stands in a text.
const KEY_IN_TEXT = new RegExp(`${PREFIX}[0-9A-Za-z]{8,}`, "g");

/**
 * The one redaction of keys in text that leaves the process (logs, usage paths, CLI errors):
 * each becomes `kh_live_[redacted]`.
 */
export function redactKeys(text: string): string {
  return text.includes("kh_") ? text.replace(KEY_IN_TEXT, "kh_$1_[redacted]") : text;
}

// Indexed by char code; -1 marks a character outside the alphabet. Lets parseKey validate and
// decode by char code, with no regex to backtrack.
const BASE62_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62.length; i++) BASE62_VALUE[BASE62.charCodeAt(i)] = i;

// Shared results so the hot path builds no object per valid key; frozen because they are shared.
const PARSED: Readonly<Record<KeyEnvironment, ParsedKey>> = {
  live: Object.freeze({ environment: "live" }),
  test: Object.freeze({ environment: "test" }),
};

export function generateKey(environment: KeyEnvironment): string {
  // The CLI passes user input through here; a typo must not mint a key nobody can verify.
  if (!KEY_ENVIRONMENTS.includes(environment)) {
    throw new RangeError(`Unknown key environment: ${String(environment)}`);
  }
  const body = `kh_${environment}_${randomBase62(SECRET_LENGTH)}`;
  return body + keyChecksum(body);
}

/** CRC32 (IEEE) of the UTF-8 bytes of `kh_<env>_<secret>`, as 6 base62 digits, most significant first. */
export function keyChecksum(prefixAndSecret: string): string {
  return encodeCheck(crc32(prefixAndSecret));
}

function encodeCheck(value: number): string {
  let out = "";
  for (let i = 0; i < CHECK_LENGTH; i++) {
    out = BASE62[value % 62] + out;
    value = Math.floor(value / 62);
  }
  return out;
}

/**
 * Format and checksum only, no I/O: a rejected key never reaches the database.
 * Runs on every request, so it scans the string once by char code and gives up at the first
 * wrong character; the length test comes first so oversized input costs nothing.
 */
export function parseKey(candidate: string): ParsedKey | null {
  if (candidate.length !== KEY_LENGTH) return null;

  let environment: KeyEnvironment;
  if (candidate.startsWith("kh_live_")) environment = "live";
  else if (candidate.startsWith("kh_test_")) environment = "test";
  else return null;

  for (let i = PREFIX_LENGTH; i < BODY_LENGTH; i++) {
    const code = candidate.charCodeAt(i);
    // Past the table the lookup is undefined, and `undefined < 0` is false: non-ASCII would pass.
    if (code >= 128 || BASE62_VALUE[code]! < 0) return null;
  }

  // Decoded as a number rather than re-encoding the CRC, to compare without building a string.
  let check = 0;
  for (let i = BODY_LENGTH; i < KEY_LENGTH; i++) {
    const code = candidate.charCodeAt(i);
    const digit = code < 128 ? BASE62_VALUE[code]! : -1;
    if (digit < 0) return null;
    check = check * 62 + digit;
  }

  // The body is pure ASCII by now, so its UTF-8 bytes are its char codes. zlib.crc32 takes no
  // offset, hence the one slice; it is still the single CRC implementation in the codebase.
  if (crc32(candidate.slice(0, BODY_LENGTH)) !== check) return null;
  return PARSED[environment];
}

/** The first 12 characters (`kh_live_a1B2`): stored for display and search, never the key. */
export function keyStart(key: string): string {
  return key.slice(0, START_LENGTH);
}
