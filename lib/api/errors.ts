import { z, ZodError } from "zod";

import { ApiError } from "../errors/api-error";
import { ERROR_CODES, type ErrorCode } from "../errors/error-codes";
import { jsonResponse } from "./json-response";

// How an ApiError (lib/errors/api-error.ts) becomes an HTTP response. Anything else thrown becomes a
// generic 500 that reveals nothing.

/** The body of every error answer (DESIGN.md section 6), as the OpenAPI document describes it. */
export const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

export function badRequest(error: ZodError, message = "The request is not valid."): ApiError {
  return new ApiError("bad_request", message, {
    details: error.issues.map((issue) => ({ path: issue.path.join("."), code: issue.code, message: issue.message })),
  });
}

export function errorResponse(error: unknown): Response {
  const apiError = toApiError(error);
  const headers = new Headers(apiError.headers);
  headers.set("Cache-Control", "no-store");
  // RFC 6750: no error attribute when no credentials were sent; invalid_token otherwise.
  if (apiError.status === 401) {
    headers.set("WWW-Authenticate", apiError.code === "missing_key" ? 'Bearer realm="keyhold"' : 'Bearer realm="keyhold", error="invalid_token"');
  }
  const body: z.infer<typeof errorBody> = {
    error: { code: apiError.code, message: apiError.message },
  };
  if (apiError.details !== undefined) body.error.details = apiError.details;
  return jsonResponse(body, { status: apiError.status, headers });
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return badRequest(error);
  // Logged by name only: a message could carry a key or a connection string.
  console.error(`unexpected error in API handler: ${error instanceof Error ? error.name : typeof error}`);
  return new ApiError("internal_error");
}
