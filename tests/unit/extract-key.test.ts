import { describe, expect, it } from "vitest";

import { extractKey } from "../../lib/api/extract-key";
import { ApiError } from "../../lib/errors/api-error";

// DESIGN.md section 4: `Authorization: Bearer <key>` or `X-API-Key: <key>`; never in the URL.
const KEY = "kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUVWX1a2b3c";
const OTHER_KEY = "kh_live_ZYXWVUTSRQPONMLKJIHGFEDCBA98765432104d5e6f";
const URL_PLAIN = new URL("https://keyhold.test/api/v1/whoami");

function headers(entries: Record<string, string> | [string, string][]): Headers {
  return new Headers(entries);
}

function refusal(run: () => unknown): ApiError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected extractKey to refuse the request");
}

describe("extractKey: accepted forms", () => {
  it("reads the key from Authorization: Bearer", () => {
    expect(extractKey(headers({ Authorization: `Bearer ${KEY}` }), URL_PLAIN)).toBe(KEY);
  });

  it("reads the key from X-API-Key", () => {
    expect(extractKey(headers({ "X-API-Key": KEY }), URL_PLAIN)).toBe(KEY);
  });

  it.each([
    ["authorization", `Bearer ${KEY}`],
    ["AUTHORIZATION", `Bearer ${KEY}`],
    ["x-api-key", KEY],
    ["X-Api-Key", KEY],
    ["X-API-KEY", KEY],
  ])("accepts the header name %s in any case", (name, value) => {
    expect(extractKey(headers([[name, value]]), URL_PLAIN)).toBe(KEY);
  });

  it.each(["bearer", "BEARER", "BeArEr"])("accepts the scheme written %s (case-insensitive)", (scheme) => {
    expect(extractKey(headers({ Authorization: `${scheme} ${KEY}` }), URL_PLAIN)).toBe(KEY);
  });

  it("accepts both headers when they carry the same key", () => {
    expect(extractKey(headers({ Authorization: `Bearer ${KEY}`, "X-API-Key": KEY }), URL_PLAIN)).toBe(KEY);
  });

  it("ignores query parameters that are not key parameters", () => {
    const url = new URL("https://keyhold.test/api/v1/keys?keyId=abc&monkey=1&keys=2&tokens=3&q=kh_live");
    expect(extractKey(headers({ "X-API-Key": KEY }), url)).toBe(KEY);
  });
});

describe("extractKey: ambiguous and missing keys", () => {
  it("refuses two different keys with 400 ambiguous_key, echoing neither", () => {
    const error = refusal(() => extractKey(headers({ Authorization: `Bearer ${KEY}`, "X-API-Key": OTHER_KEY }), URL_PLAIN));
    expect(error.code).toBe("ambiguous_key");
    expect(error.status).toBe(400);
    expect(error.message).not.toContain(KEY);
    expect(error.message).not.toContain(OTHER_KEY);
  });

  it("refuses a request with no key as 401 missing_key, telling how to send one", () => {
    const error = refusal(() => extractKey(headers({ Accept: "application/json" }), URL_PLAIN));
    expect(error.code).toBe("missing_key");
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/Authorization: Bearer/);
    expect(error.message).toMatch(/X-API-Key/);
    expect(error.message).not.toMatch(/empty/i);
  });

  it.each([
    ["Authorization: Bearer", { Authorization: "Bearer" }],
    ["Authorization: Bearer + space", { Authorization: "Bearer " }],
    ["Authorization: bearer (lowercase, no key)", { Authorization: "bearer" }],
    ["an empty X-API-Key", { "X-API-Key": "" }],
    ["an X-API-Key of spaces", { "X-API-Key": "   " }],
  ])("refuses %s as missing_key with a message saying it is empty", (_label, init) => {
    const error = refusal(() => extractKey(headers(init), URL_PLAIN));
    expect(error.code).toBe("missing_key");
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/empty/i);
  });
});

describe("extractKey: malformed Authorization", () => {
  it("refuses two spaces after Bearer as invalid_key, saying one space is expected", () => {
    const error = refusal(() => extractKey(headers({ Authorization: `Bearer  ${KEY}` }), URL_PLAIN));
    expect(error.code).toBe("invalid_key");
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/one space/i);
    expect(error.message).not.toContain(KEY);
  });

  it("refuses a key glued to the scheme (Bearerkh_live_...) as invalid_key, explaining the form", () => {
    const error = refusal(() => extractKey(headers({ Authorization: `Bearer${KEY}` }), URL_PLAIN));
    expect(error.code).toBe("invalid_key");
    expect(error.message).toMatch(/Bearer/);
    expect(error.message).toMatch(/space/i);
    expect(error.message).not.toContain(KEY);
  });

  it("refuses a tab instead of a space after Bearer", () => {
    const error = refusal(() => extractKey(headers({ Authorization: `Bearer\t${KEY}` }), URL_PLAIN));
    expect(error.code).toBe("invalid_key");
  });

  it.each(["Basic dXNlcjpwYXNz", `Token ${KEY}`, `${KEY}`, "Bear"])("refuses the Authorization value %s as invalid_key naming the Bearer scheme", (value) => {
    const error = refusal(() => extractKey(headers({ Authorization: value }), URL_PLAIN));
    expect(error.code).toBe("invalid_key");
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/Bearer scheme/);
    expect(error.message).not.toContain(KEY);
  });
});

describe("extractKey: keys in the URL", () => {
  it.each(["api_key", "apikey", "key", "token"])("refuses ?%s= with 400 key_in_query", (param) => {
    const url = new URL(`https://keyhold.test/api/v1/whoami?${param}=${KEY}`);
    const error = refusal(() => extractKey(headers({}), url));
    expect(error.code).toBe("key_in_query");
    expect(error.status).toBe(400);
    expect(error.message).not.toContain(KEY);
  });

  it.each(["api_key", "apikey", "key", "token"])("refuses ?%s= even when a valid header is also present", (param) => {
    const url = new URL(`https://keyhold.test/api/v1/whoami?limit=5&${param}=${KEY}`);
    expect(refusal(() => extractKey(headers({ Authorization: `Bearer ${KEY}` }), url)).code).toBe("key_in_query");
    expect(refusal(() => extractKey(headers({ "X-API-Key": KEY }), url)).code).toBe("key_in_query");
  });

  it("refuses a key parameter with an empty value", () => {
    const url = new URL("https://keyhold.test/api/v1/whoami?token=");
    expect(refusal(() => extractKey(headers({ "X-API-Key": KEY }), url)).code).toBe("key_in_query");
  });

  it("reports the key in the URL before any header problem", () => {
    const url = new URL(`https://keyhold.test/api/v1/whoami?api_key=${KEY}`);
    expect(refusal(() => extractKey(headers({ Authorization: "Basic abc" }), url)).code).toBe("key_in_query");
    expect(refusal(() => extractKey(headers({ Authorization: `Bearer ${KEY}`, "X-API-Key": OTHER_KEY }), url)).code).toBe("key_in_query");
  });
});

describe("extractKey: a key-format string anywhere in the query (DESIGN.md section 15.7)", () => {
  it.each([
    ["another parameter name", `access_token=${KEY}`],
    ["a value that only contains the key", `q=prefix-${KEY}-suffix`],
    ["a test key", `auth=${KEY.replace("kh_live_", "kh_test_")}`],
    ["a percent-encoded key", `x=${encodeURIComponent(KEY).replace(/_/g, "%5F")}`],
    ["the second of two values", `q=a&q=${KEY}`],
    ["a parameter name", `${KEY}=1`],
  ])("refuses %s with 400 key_in_query, echoing nothing", (_, query) => {
    const error = refusal(() => extractKey(headers({ "X-API-Key": KEY }), new URL(`https://keyhold.test/api/v1/keys?${query}`)));
    expect(error.code).toBe("key_in_query");
    expect(error.status).toBe(400);
    expect(error.message).not.toContain(KEY);
  });

  it("lets a value through that only starts like a key", () => {
    const url = new URL(`https://keyhold.test/api/v1/keys?q=${KEY.slice(0, 20)}`);
    expect(extractKey(headers({ "X-API-Key": KEY }), url)).toBe(KEY);
  });
});

describe("extractKey: empty headers and case in the URL", () => {
  it("treats an empty header next to a real key as absent, not as a second key", () => {
    expect(extractKey(headers({ Authorization: "Bearer", "X-API-Key": KEY }), URL_PLAIN)).toBe(KEY);
    expect(extractKey(headers({ Authorization: `Bearer ${KEY}`, "X-API-Key": "" }), URL_PLAIN)).toBe(KEY);
  });

  it("answers an empty Authorization header with missing_key, like an empty X-API-Key", () => {
    const error = refusal(() => extractKey(headers({ Authorization: "" }), URL_PLAIN));
    expect(error.code).toBe("missing_key");
    expect(error.message).toMatch(/empty/);
  });

  it.each(["API_KEY", "Token", "ApiKey", "KEY"])("refuses the query parameter %s whatever its case", (name) => {
    const url = new URL(`https://keyhold.test/api/v1/whoami?${name}=${KEY}`);
    expect(refusal(() => extractKey(headers({ "X-API-Key": KEY }), url)).code).toBe("key_in_query");
  });
});
