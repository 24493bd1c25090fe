// PostgreSQL text and jsonb cannot hold U+0000, and jsonb refuses a lone UTF-16 surrogate
// (text silently turns it into U+FFFD). Input carrying either is refused as a 400 at the edge
// instead of failing, or being altered, in the database.
const LONE_SURROGATE = /\p{Cs}/u;

export function isStorableText(value: string): boolean {
  return !value.includes("\u0000") && !LONE_SURROGATE.test(value);
}

export const UNSTORABLE_TEXT_MESSAGE = "contains U+0000 or a lone UTF-16 surrogate, which cannot be stored";
