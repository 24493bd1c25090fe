// The error contract of DESIGN.md section 6, and the one table of outcomes: every code, its
// status, its public message, and where in a request it can arise. The verifier's codes, the
// usage outcomes and the OpenAPI error lists are all derived from this table.
//   request:      anything about the request itself, whoever sent it
//   presentation: how the key was sent, decided before any verification
//   verification: the key itself and its limits; also what the verify endpoint answers
type Stage = "request" | "presentation" | "verification";

export const ERROR_CODES = {
  bad_request: { status: 400, stage: "request", message: "The request is not valid." },
  key_in_query: {
    status: 400,
    stage: "presentation",
    message: "API keys must not be sent in the URL: URLs end up in logs. Use the Authorization or X-API-Key header.",
  },
  ambiguous_key: { status: 400, stage: "presentation", message: "Two different API keys were sent in the Authorization and X-API-Key headers." },
  missing_key: {
    status: 401,
    stage: "presentation",
    message: "No API key was presented. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`.",
  },
  invalid_key: { status: 401, stage: "verification", message: "The API key is not valid." },
  expired_key: { status: 401, stage: "verification", message: "The API key has expired." },
  revoked_key: { status: 401, stage: "verification", message: "The API key has been revoked." },
  insufficient_scope: { status: 403, stage: "verification", message: "The API key does not have the scopes this request needs." },
  ip_not_allowed: { status: 403, stage: "verification", message: "The API key may not be used from this address." },
  not_found: { status: 404, stage: "request", message: "Not found." },
  // Not in DESIGN.md section 6, which has no code for a wrong method; without it Next answers an empty 405.
  method_not_allowed: {
    status: 405,
    stage: "request",
    message: "This method is not allowed on this path; the Allow header lists the ones that are.",
  },
  conflict: { status: 409, stage: "request", message: "It exists already." },
  payload_too_large: { status: 413, stage: "request", message: "The request body is larger than 64 KiB." },
  rate_limited: { status: 429, stage: "verification", message: "Too many requests. Retry after the time in the Retry-After header." },
  quota_exceeded: { status: 429, stage: "verification", message: "The API key's usage quota is spent." },
  unavailable: { status: 503, stage: "verification", message: "The service cannot verify keys right now. Try again shortly." },
  internal_error: { status: 500, stage: "request", message: "Something went wrong on our side." },
} as const satisfies Record<string, { status: number; stage: Stage; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

type CodeOfStage<S extends Stage> = { [C in ErrorCode]: (typeof ERROR_CODES)[C]["stage"] extends S ? C : never }[ErrorCode];

/** Why the verifier refused a key. */
export type VerificationCode = CodeOfStage<"verification">;

/** Every outcome a usage event can have besides "valid": a refused key, however it was refused. */
export type DeniedOutcome = CodeOfStage<"presentation" | "verification">;

export type Outcome = "valid" | DeniedOutcome;

export const DENIED_OUTCOMES = (Object.keys(ERROR_CODES) as ErrorCode[]).filter((code): code is DeniedOutcome => ERROR_CODES[code].stage !== "request");
