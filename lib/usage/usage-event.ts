// A usage event as the verification path reports it, and the rules that decide, when it is
// recorded, what of it may be kept (DESIGN.md sections 9 and 15.7).

export interface UsageEventInput {
  keyId: string | null;
  outcome: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  ip: string | null;
  /** When, as a Date or epoch milliseconds (which the verification path passes: no Date to build). */
  at: Date | number;
  /** Credits the use spent (DESIGN.md section 15.3); 1 when absent. */
  cost?: number;
}

/** Longest path kept, in characters; cut when the event is recorded, before it is buffered. */
export const MAX_PATH_LENGTH = 512;

// Outcomes that, without a key id, mean the request was refused before any key lookup: no key,
// a key in the URL, two keys, or an address throttled for invalid keys (rate_limited is only
// keyless there). Anyone can send those in bulk, so they are counted, never stored one by one.
const UNLOOKED_OUTCOMES: ReadonlySet<string> = new Set(["missing_key", "key_in_query", "ambiguous_key", "rate_limited"]);

/** The same set, for SQL that must leave those counts alone (a rebuild from raw events). */
export const UNLOOKED_OUTCOME_LIST: readonly string[] = [...UNLOOKED_OUTCOMES];

export function refusedWithoutLookup(keyId: string | null, outcome: string): boolean {
  return keyId === null && UNLOOKED_OUTCOMES.has(outcome);
}

// A key sent in the query string is refused (section 4) but the request is still recorded, and
// a key could sit in a path segment: neither may reach the usage tables.
const KEY_PATTERN = /kh_(live|test)_[0-9A-Za-z]{38}/g;
// Enough beyond the cut that a key straddling it is still whole when it is redacted.
const REDACTION_MARGIN = 64;

/** The path as stored: no query string, no key, no NUL, at most MAX_PATH_LENGTH characters. */
export function storablePath(value: unknown): string {
  let path = typeof value === "string" ? value : String(value ?? "");
  const query = path.indexOf("?");
  if (query !== -1) path = path.slice(0, query);
  if (path.length > MAX_PATH_LENGTH + REDACTION_MARGIN) path = path.slice(0, MAX_PATH_LENGTH + REDACTION_MARGIN);
  if (path.includes("kh_")) path = path.replace(KEY_PATTERN, "kh_$1_[redacted]");
  return storableText(path, MAX_PATH_LENGTH);
}

/**
 * Text as PostgreSQL can store it, cut to max: no NUL, and no lone UTF-16 surrogate (U+FFFD in
 * its place, as UTF-8 encoding would give it); the flush sends events as JSON, where either would
 * fail every retry forever.
 */
export function storableText(value: unknown, max: number): string {
  let text = typeof value === "string" ? value : String(value ?? "");
  if (text.length > max) text = text.slice(0, max);
  if (text.includes("\0")) text = text.replaceAll("\0", "");
  if (!text.isWellFormed()) text = text.toWellFormed();
  return text;
}
