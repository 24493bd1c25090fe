import { ERROR_CODES, type ErrorCode } from "./error-codes";

// The one error class for everything Keyhold refuses. Domain code throws it; the HTTP layer
// (lib/api/errors.ts), server actions and the CLI each turn it into their own answer.

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
