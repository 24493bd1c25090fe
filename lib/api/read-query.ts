import type { z } from "zod";

import { ApiError } from "../errors/api-error";
import type { RequestUrl } from "./api-request";
import { badRequest } from "./errors";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from "./storable-text";

/** The query string validated by `schema` (strict: unknown parameters are named in a 400). */
export function readQuery<Schema extends z.ZodType>(url: RequestUrl, schema: Schema): z.infer<Schema> {
  for (const [name, value] of url.searchParams) {
    if (!isStorableText(name) || !isStorableText(value)) {
      throw new ApiError("bad_request", `Invalid query parameter: ${name}.`, { details: [{ path: name, message: UNSTORABLE_TEXT_MESSAGE }] });
    }
  }
  const result = schema.safeParse(Object.fromEntries(url.searchParams));
  if (!result.success) {
    const fields = [...new Set(result.error.issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys : [issue.path.join(".")])))];
    throw badRequest(result.error, `Invalid query parameter${fields.length > 1 ? "s" : ""}: ${fields.join(", ")}.`);
  }
  return result.data;
}
