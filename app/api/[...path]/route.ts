import { errorResponse } from "@/lib/api/errors";
import { ApiError } from "@/lib/errors/api-error";

// Any /api path without a route answers the JSON error contract, not Next's HTML 404.
function notFound() {
  return errorResponse(new ApiError("not_found", "No API route at this path."));
}

export { notFound as GET, notFound as POST, notFound as PUT, notFound as PATCH, notFound as DELETE };
