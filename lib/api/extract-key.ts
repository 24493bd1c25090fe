import { ApiError } from "../errors/api-error";
import type { RequestUrl } from "./api-request";

// How a key is presented (DESIGN.md section 4): `Authorization: Bearer <key>` or
// `X-API-Key: <key>`. Anything else is refused with a message that says what was wrong.

const QUERY_KEY_PARAMS = ["api_key", "apikey", "key", "token"];
// Section 15.7: a key under any other name (`?access_token=kh_live_…`) lands in logs just the same.
const KEY_INSIDE = /kh_(?:live|test)_[0-9A-Za-z]{38}/;

/** A query parameter named like a key, or whose name or (decoded) value holds a key-format string. */
export function queryCarriesKey(url: RequestUrl): boolean {
  if (url.search === "") return false;
  for (const [name, value] of url.searchParams) {
    if (QUERY_KEY_PARAMS.includes(name.toLowerCase()) || KEY_INSIDE.test(name) || KEY_INSIDE.test(value)) return true;
  }
  return false;
}

export function extractKey(headers: Headers, url: RequestUrl): string {
  if (queryCarriesKey(url)) throw new ApiError("key_in_query");
  const authorization = headers.get("authorization");
  const apiKeyHeader = headers.get("x-api-key");
  // An empty header is no key: it neither conflicts with the other header nor stands alone.
  const fromBearer = authorization ? bearerToken(authorization) || null : null;
  const fromHeader = apiKeyHeader || null;
  if (fromBearer !== null && fromHeader !== null && fromBearer !== fromHeader) throw new ApiError("ambiguous_key");
  const key = fromBearer ?? fromHeader;
  if (key === null) {
    throw new ApiError("missing_key", authorization !== null || apiKeyHeader !== null ? "The API key header is empty." : undefined);
  }
  return key;
}

function bearerToken(value: string): string {
  // The scheme is case-insensitive (RFC 9110); exactly one space before the token (RFC 6750).
  if (value.length < 6 || value.slice(0, 6).toLowerCase() !== "bearer") {
    throw new ApiError("invalid_key", "The Authorization header must use the Bearer scheme: `Authorization: Bearer <key>`.");
  }
  const rest = value.slice(6);
  if (rest === "" || rest === " ") return "";
  if (rest[0] !== " " || rest[1] === " ") {
    throw new ApiError("invalid_key", "Malformed Authorization header: write `Bearer`, one space, then the key.");
  }
  return rest.slice(1);
}
