// Descriptions of the parameters that several routes share, so the document says them one way.

/** The description of a `{id}`-style path parameter holding an id of the given prefix. */
export function idParamDoc(what: string, prefix: string): string {
  return `The ${what} id, \`${prefix}_\` and 22 base62 characters. Any other value, or an id that does not exist, is 404 \`not_found\`.`;
}

/** The query parameters of every paged list. */
export const PAGE_QUERY_DOCS = { cursor: "The `nextCursor` of the previous page.", limit: "Page size, 1 to 100." };
