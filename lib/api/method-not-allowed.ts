import { ApiError } from "../errors/api-error";
import { errorResponse } from "./errors";

/** A handler for the methods a route does not have: JSON 405 with the Allow header. */
export function methodNotAllowed(allow: string): () => Response {
  return () => errorResponse(new ApiError("method_not_allowed", undefined, { headers: { Allow: allow } }));
}
