import Link from "next/link";

import { buttonClass } from "./button";

interface CursorPagerProps {
  path: string;
  /** The filters in the URL, kept on every page; a cursor among them is ignored. */
  filters: Record<string, string>;
  cursor: string | null | undefined;
  nextCursor: string | null | undefined;
  labels: { first: string; next: string };
}

/** Links for cursor pages: back to the first page when on a later one, on to the next when there is one. */
export function CursorPager({ path, filters, cursor, nextCursor, labels }: CursorPagerProps) {
  const kept = Object.fromEntries(Object.entries(filters).filter(([name]) => name !== "cursor"));
  const href = (params: Record<string, string>) => {
    const query = new URLSearchParams(params).toString();
    return query ? `${path}?${query}` : path;
  };
  return (
    <div className="mt-3 flex justify-end gap-2">
      {cursor && (
        <Link className={buttonClass("secondary")} href={href(kept)}>
          {labels.first}
        </Link>
      )}
      {nextCursor && (
        <Link className={buttonClass("secondary")} href={href({ ...kept, cursor: nextCursor })}>
          {labels.next}
        </Link>
      )}
    </div>
  );
}
