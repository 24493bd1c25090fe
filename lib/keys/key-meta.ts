// A key's `meta` is a plain JSON object (DESIGN.md section 7.1), `{}` when empty. The one test
// of that shape, for the dashboard's forms and for rows read back from the database.

export type KeyMeta = Record<string, unknown>;

export function isKeyMeta(value: unknown): value is KeyMeta {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

/** Stored meta as every reader shows it: the object, or `{}`. */
export function metaOf(stored: unknown): KeyMeta {
  return isKeyMeta(stored) ? stored : {};
}
