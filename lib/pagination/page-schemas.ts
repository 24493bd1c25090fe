import { z } from "zod";

// Every list of the API pages the same way (DESIGN.md section 7): `limit` 1 to 100, default 20,
// and `{data, nextCursor}` answers, where the `nextCursor` of one page is the `cursor` of the next.

export const pageLimit = z.coerce.number("must be a whole number from 1 to 100").int().min(1).max(100).default(20);

/** A cursor as the list hands it out; each list checks that it is one of its own. */
export const pageCursor = z.string().min(1).max(200).optional();

/** One page of `item`s. */
export function pageOf<Item extends z.ZodType>(item: Item) {
  return z.strictObject({ data: z.array(item), nextCursor: z.string().nullable() });
}
