// The error contract of DESIGN.md section 6: every code, its status and its public message.
export const ERROR_CODES = {
  bad_request: { status: 400, message: "The request is not valid." },
  key_in_query: { status: 400, message: "API keys must not be sent in the URL: URLs end up in logs. Use the Authorization or X-API-Key header." },
  ambiguous_key: { status: 400, message: "Two different API keys were sent in the Authorization and X-API-Key headers." },
  missing_key: { status: 401, message: "No API key was presented. Send it as `Authorization: Bearer <key>` or `X-API-Key: <key>`." },
  invalid_key: { status: 401, message: "The API key is not valid." },
  expired_key: { status: 401, message: "The API key has expired." },
  revoked_key: { status: 401, message: "The API key has been revoked." },
  insufficient_scope: { status: 403, message: "The API key does not have the scopes this request needs." },
  ip_not_allowed: { status: 403, message: "The API key may not be used from this address." },
  not_found: { status: 404, message: "Not found." },
  // Not in DESIGN.md section 6, which has no code for a wrong method; without it Next answers an empty 405.
  method_not_allowed: { status: 405, message: "This method is not allowed on this path; the Allow header lists the ones that are." },
  conflict: { status: 409, message: "It exists already." },
  payload_too_large: { status: 413, message: "The request body is larger than 64 KiB." },
  rate_limited: { status: 429, message: "Too many requests. Retry after the time in the Retry-After header." },
  quota_exceeded: { status: 429, message: "The API key's usage quota is spent." },
  unavailable: { status: 503, message: "The service cannot verify keys right now. Try again shortly." },
  internal_error: { status: 500, message: "Something went wrong on our side." },
} as const satisfies Record<string, { status: number; message: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
