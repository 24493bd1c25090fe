import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";

import { badRequest, errorResponse } from "../../lib/api/errors";
import { rateLimitHeaders, secondsUntil } from "../../lib/api/ratelimit-headers";
import { ApiError } from "../../lib/errors/api-error";
import { DENIED_OUTCOMES, ERROR_CODES, type ErrorCode } from "../../lib/errors/error-codes";

// The table of DESIGN.md section 6, written out here rather than read from the code.
const CONTRACT: Record<string, number> = {
  bad_request: 400,
  key_in_query: 400,
  ambiguous_key: 400,
  missing_key: 401,
  invalid_key: 401,
  expired_key: 401,
  revoked_key: 401,
  insufficient_scope: 403,
  // DESIGN.md section 15.4.
  ip_not_allowed: 403,
  not_found: 404,
  // Added beyond section 6 (see lib/errors/error-codes.ts): every /api error must be JSON.
  method_not_allowed: 405,
  conflict: 409,
  payload_too_large: 413,
  rate_limited: 429,
  quota_exceeded: 429,
  unavailable: 503,
  internal_error: 500,
};

const FAKE_KEY = "kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUVWX1a2b3c";
const FAKE_DB_URL = "postgresql://keyhold:s3cr3t-Passw0rd@db.internal:5432/keyhold";

interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

async function body(response: Response): Promise<ErrorBody> {
  return (await response.json()) as ErrorBody;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("error codes", () => {
  it("are exactly the codes of the contract, with its statuses", () => {
    const actual = Object.fromEntries(Object.entries(ERROR_CODES).map(([code, { status }]) => [code, status]));
    expect(actual).toEqual(CONTRACT);
  });

  it("count as refused-key outcomes exactly when they are about the key (section 8: `valid` or a section 6 code)", () => {
    expect([...DENIED_OUTCOMES].sort()).toEqual([
      "ambiguous_key",
      "expired_key",
      "insufficient_scope",
      "invalid_key",
      "ip_not_allowed",
      "key_in_query",
      "missing_key",
      "quota_exceeded",
      "rate_limited",
      "revoked_key",
      "unavailable",
    ]);
  });

  it("each have a non-empty public message", () => {
    for (const { message } of Object.values(ERROR_CODES)) expect(message.trim().length).toBeGreaterThan(5);
  });
});

describe("errorResponse", () => {
  it.each(Object.keys(CONTRACT) as ErrorCode[])("turns ApiError(%s) into the contract's JSON and status", async (code) => {
    const response = errorResponse(new ApiError(code));
    expect(response.status).toBe(CONTRACT[code]);
    expect(response.headers.get("Content-Type")).toMatch(/^application\/json/);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await body(response)).toEqual({ error: { code, message: ERROR_CODES[code].message } });
    if (CONTRACT[code] === 401) {
      expect(response.headers.get("WWW-Authenticate")).toMatch(/^Bearer\b/);
    } else {
      expect(response.headers.get("WWW-Authenticate")).toBeNull();
    }
  });

  it("uses a custom message when given", async () => {
    const response = errorResponse(new ApiError("not_found", "No key with id key_123."));
    expect((await body(response)).error).toEqual({ code: "not_found", message: "No key with id key_123." });
  });

  it("includes details only when given", async () => {
    const withDetails = await body(errorResponse(new ApiError("insufficient_scope", undefined, { details: { required: ["keys:write"] } })));
    expect(withDetails.error.details).toEqual({ required: ["keys:write"] });

    const without = await body(errorResponse(new ApiError("insufficient_scope")));
    expect("details" in without.error).toBe(false);
  });

  it("passes extra headers through", () => {
    const response = errorResponse(
      new ApiError("rate_limited", undefined, {
        headers: { "Retry-After": "7", "RateLimit-Limit": "100", "RateLimit-Remaining": "0", "RateLimit-Reset": "7" },
      }),
    );
    expect(response.status).toBe(429);
    expect(response.headers.get("Retry-After")).toBe("7");
    expect(response.headers.get("RateLimit-Limit")).toBe("100");
    expect(response.headers.get("RateLimit-Remaining")).toBe("0");
    expect(response.headers.get("RateLimit-Reset")).toBe("7");
  });

  it("keeps Cache-Control: no-store even if extra headers try to change it", () => {
    const response = errorResponse(new ApiError("not_found", undefined, { headers: { "Cache-Control": "public, max-age=3600" } }));
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it.each([
    ["an Error carrying a key", new Error(`lookup failed for ${FAKE_KEY}`)],
    ["an Error carrying a connection string", new Error(`connect ECONNREFUSED ${FAKE_DB_URL}`)],
    ["a TypeError", new TypeError(`Cannot read properties of undefined (reading '${FAKE_KEY}')`)],
    ["a thrown string", `${FAKE_KEY} ${FAKE_DB_URL}`],
    ["a thrown object", { message: FAKE_KEY, url: FAKE_DB_URL }],
    ["null", null],
  ])("turns %s into 500 internal_error that reveals nothing", async (_label, thrown) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const response = errorResponse(thrown);
    expect(response.status).toBe(500);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const text = await response.text();
    const parsed = JSON.parse(text) as ErrorBody;
    expect(parsed).toEqual({ error: { code: "internal_error", message: ERROR_CODES.internal_error.message } });
    expect(text).not.toContain(FAKE_KEY);
    expect(text).not.toContain("s3cr3t-Passw0rd");
    expect(text).not.toContain("postgresql://");
    expect(text).not.toMatch(/\bat .*\(|\.ts:\d+|stack/i);
    // Nor does the server log carry the secret.
    const logText = logged.mock.calls.flat().map(String).join("\n");
    expect(logText).not.toContain(FAKE_KEY);
    expect(logText).not.toContain("s3cr3t-Passw0rd");
  });

  it("turns a ZodError into 400 bad_request listing the fields in details", async () => {
    const schema = z.strictObject({ name: z.string(), ratelimit: z.strictObject({ limit: z.number() }) });
    const result = schema.safeParse({ name: 5, ratelimit: { limit: "x" } });
    expect(result.success).toBe(false);
    const response = errorResponse(result.error);
    expect(response.status).toBe(400);
    const parsed = await body(response);
    expect(parsed.error.code).toBe("bad_request");
    expect(parsed.error.message).toBeTruthy();
    const details = parsed.error.details as { path: string; message: string }[];
    expect(details.map((issue) => issue.path).sort()).toEqual(["name", "ratelimit.limit"]);
    for (const issue of details) expect(issue.message).toBeTruthy();
  });
});

describe("ApiError", () => {
  it("is an Error with its code, status and default message", () => {
    const error = new ApiError("revoked_key");
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe("revoked_key");
    expect(error.status).toBe(401);
    expect(error.message).toBe(ERROR_CODES.revoked_key.message);
  });

  it("badRequest keeps a custom message and the zod paths", () => {
    const result = z.object({ scopes: z.array(z.string()) }).safeParse({ scopes: ["a", 2] });
    const error = badRequest(result.error!, "Bad scopes.");
    expect(error.code).toBe("bad_request");
    expect(error.message).toBe("Bad scopes.");
    expect(error.details).toEqual([expect.objectContaining({ path: "scopes.1" })]);
  });
});

describe("rateLimitHeaders", () => {
  const now = 1_700_000_000_000;

  it("gives limit, remaining and whole seconds to reset, without Retry-After when allowed", () => {
    const headers = rateLimitHeaders({ allowed: true, limit: 100, remaining: 42, resetAt: now + 30_000 }, now);
    expect(headers).toEqual({ "RateLimit-Limit": "100", "RateLimit-Remaining": "42", "RateLimit-Reset": "30" });
    expect("Retry-After" in headers).toBe(false);
  });

  it("adds Retry-After equal to RateLimit-Reset when refused", () => {
    const headers = rateLimitHeaders({ allowed: false, limit: 10, remaining: 0, resetAt: now + 12_000 }, now);
    expect(headers["Retry-After"]).toBe("12");
    expect(headers["RateLimit-Reset"]).toBe("12");
    expect(headers["RateLimit-Remaining"]).toBe("0");
  });

  it.each([
    [1, "1"],
    [999, "1"],
    [1_000, "1"],
    [1_001, "2"],
    [59_001, "60"],
    [60_000, "60"],
  ])("rounds %i ms up to %s s", (ms, expected) => {
    const headers = rateLimitHeaders({ allowed: false, limit: 1, remaining: 0, resetAt: now + ms }, now);
    expect(headers["RateLimit-Reset"]).toBe(expected);
    expect(headers["Retry-After"]).toBe(expected);
  });

  it("never says 0 or a negative number of seconds", () => {
    for (const ms of [0, -1, -5_000]) {
      const headers = rateLimitHeaders({ allowed: false, limit: 1, remaining: 0, resetAt: now + ms }, now);
      expect(headers["Retry-After"]).toBe("1");
      expect(headers["RateLimit-Reset"]).toBe("1");
    }
  });

  it("never reports a negative remaining count", () => {
    const headers = rateLimitHeaders({ allowed: false, limit: 5, remaining: -3, resetAt: now + 1_000 }, now);
    expect(headers["RateLimit-Remaining"]).toBe("0");
  });

  it("secondsUntil rounds up and is at least 1", () => {
    expect(secondsUntil(now + 1_500, now)).toBe(2);
    expect(secondsUntil(now + 2_000, now)).toBe(2);
    expect(secondsUntil(now, now)).toBe(1);
    expect(secondsUntil(now - 10_000, now)).toBe(1);
  });
});

describe("WWW-Authenticate follows RFC 6750", () => {
  it("has no error attribute when no key was sent, and invalid_token for a refused key", () => {
    expect(errorResponse(new ApiError("missing_key")).headers.get("WWW-Authenticate")).toBe('Bearer realm="keyhold"');
    for (const code of ["invalid_key", "expired_key", "revoked_key"] as const) {
      expect(errorResponse(new ApiError(code)).headers.get("WWW-Authenticate")).toBe('Bearer realm="keyhold", error="invalid_token"');
    }
  });
});
