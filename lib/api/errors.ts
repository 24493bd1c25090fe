import { ZodError } from "zod";
import { ERROR_CODES, type ErrorCode } from "./error-codes";

// One error class for everything the API refuses, turned into a response in one place
// (errorResponse). Anything else thrown becomes a generic 500 that reveals nothing.

export interface ApiErrorOptions {
  details?: unknown;
  headers?: Record<string, string>;
}

export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly details: unknown;
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, message?: string, options: ApiErrorOptions = {}) {
    super(message ?? ERROR_CODES[code].message);
    this.name = "ApiError";
    this.code = code;
    this.details = options.details;
    this.headers = options.headers ?? {};
  }

  get status(): number {
    return ERROR_CODES[this.code].status;
  }
}

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
  const body: { error: { code: ErrorCode; message: string; details?: unknown } } = {
    error: { code: apiError.code, message: apiError.message },
  };
  if (apiError.details !== undefined) body.error.details = apiError.details;
  return Response.json(body, { status: apiError.status, headers });
}

function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof ZodError) return badRequest(error);
  // Logged by name only: a message could carry a key or a connection string.
  console.error(`unexpected error in API handler: ${error instanceof Error ? error.name : typeof error}`);
  return new ApiError("internal_error");
}
