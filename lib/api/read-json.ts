import type { z } from "zod";

import { ApiError } from "../errors/api-error";
import type { ApiRequest } from "./api-request";
import { badRequest } from "./errors";
import { isStorableText, UNSTORABLE_TEXT_MESSAGE } from "./storable-text";

export const MAX_BODY_BYTES = 64 * 1024;
// Far deeper than any real body; a few thousand levels (64 KiB allows ~30,000) overflow the
// stack on the way to the database.
export const MAX_BODY_DEPTH = 64;

/**
 * The request body parsed as JSON and validated by `schema`; 413 over 64 KiB, 400 otherwise.
 * With `optional`, an empty body counts as `{}` (a revocation needs no reason).
 */
export async function readJson<Schema extends z.ZodType>(
  request: Pick<ApiRequest, "headers" | "body">,
  schema: Schema,
  options: { optional?: boolean } = {},
): Promise<z.infer<Schema>> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw new ApiError("payload_too_large");
  let text = await readLimited(request);
  if (text.trim() === "" && options.optional) text = "{}";
  if (text.trim() === "") throw new ApiError("bad_request", "The request body is empty; send a JSON object.");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError("bad_request", "The request body is not valid JSON.");
  }
  const unstorable = findUnstorable(value, [], 0);
  if (unstorable) {
    throw new ApiError("bad_request", `Invalid field: ${unstorable.path || "(body)"}.`, { details: [unstorable] });
  }
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(result.error, describe(result.error));
  return result.data;
}

// Fatal: bytes that are not UTF-8 are refused, not turned into U+FFFD and stored. A BOM is
// kept, so JSON.parse refuses it as before.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

// A body sent chunked has no content-length, so the limit is also enforced while reading.
async function readLimited(request: Pick<ApiRequest, "body">): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      await reader.cancel().catch(() => undefined);
      throw new ApiError("payload_too_large");
    }
    chunks.push(value);
  }
  try {
    return UTF8.decode(Buffer.concat(chunks));
  } catch {
    throw new ApiError("bad_request", "The request body is not valid UTF-8.");
  }
}

// What zod cannot see: text PostgreSQL cannot store, numbers JSON cannot carry, nesting the
// database driver cannot follow. Depth-limited, so the walk itself cannot overflow the stack.
function findUnstorable(value: unknown, path: string[], depth: number): { path: string; message: string } | null {
  if (typeof value === "string") return isStorableText(value) ? null : { path: path.join("."), message: UNSTORABLE_TEXT_MESSAGE };
  // JSON.parse reads 1e400 as Infinity, which JSON cannot write back: it would be stored as null.
  if (typeof value === "number") return Number.isFinite(value) ? null : { path: path.join("."), message: "is too large a number" };
  if (value === null || typeof value !== "object") return null;
  if (depth >= MAX_BODY_DEPTH) return { path: path.join("."), message: `nested deeper than ${MAX_BODY_DEPTH} levels` };
  for (const [key, child] of Object.entries(value)) {
    if (!isStorableText(key)) return { path: path.join("."), message: `a field name ${UNSTORABLE_TEXT_MESSAGE}` };
    const found = findUnstorable(child, [...path, key], depth + 1);
    if (found) return found;
  }
  return null;
}

// Names the offending fields in the message itself, so a human reading only the message knows.
function describe(error: z.ZodError): string {
  const unknown = error.issues.flatMap((issue) => (issue.code === "unrecognized_keys" ? issue.keys.map((key) => [...issue.path, key].join(".")) : []));
  if (unknown.length > 0) return `Unknown field${unknown.length > 1 ? "s" : ""}: ${unknown.join(", ")}.`;
  const fields = [...new Set(error.issues.map((issue) => issue.path.join(".") || "(body)"))];
  return `Invalid field${fields.length > 1 ? "s" : ""}: ${fields.join(", ")}.`;
}
