/**
 * A column heading; `srOnly` for a column whose purpose is plain on screen (row actions),
 * `numeric` for counts, whose cells then take `numeric` so the heading sits over their digits.
 */
export type Column = string | { title: string; srOnly: true } | { title: string; numeric: true };

/** Counts line up by place value: right-aligned, every digit the same width. */
export const numeric = "text-right tabular-nums";

/**
 * Where a cell goes when a table shows its rows as cards (on a phone): cards are two columns,
 * the cell's own content on the left and a short one (a badge, a time) on the right. The
 * breakpoint lives here only.
 */
export const card = {
  /** Left out of the card: the row's own page shows it. */
  hide: "max-md:hidden",
  /** A line of its own, across the card. */
  full: "max-md:col-span-2",
  /** The right-hand column, aligned to the card's edge. */
  end: "max-md:justify-self-end max-md:text-right",
  /** The left-hand column, for a cell (a count) that is right-aligned in the table. */
  start: "max-md:text-left",
} as const;

const CARD_TABLE = "max-md:block";
const CARD_HEAD = "max-md:sr-only";
// Rows become two-column grids; cells drop their table padding and take the card's.
const CARD_BODY =
  "max-md:block max-md:[&>tr]:grid max-md:[&>tr]:grid-cols-[minmax(0,1fr)_auto] max-md:[&>tr]:items-center max-md:[&>tr]:gap-x-3 max-md:[&>tr]:gap-y-1 max-md:[&>tr]:px-3 max-md:[&>tr]:py-2.5 max-md:[&>tr>td]:p-0";

/**
 * A dashboard table: headings, then the rows given as children. A table wider than the screen
 * scrolls sideways in its own frame: keyboard users can only scroll what they can focus, hence a
 * named, focusable region. It is positioned so that absolutely positioned content (sr-only
 * headings) stays inside it instead of widening the whole page. A column given as `false` is
 * left out, so optional columns read `canEdit && "Actions"`. With `cards`, a phone shows each
 * row as a compact card instead, its cells placed with `card`. A card has no headings, so a bare
 * figure says what it counts with generated content (`max-md:after:content-['_keys']`): that
 * stays out of the cell's text, which tests and copy-paste read as on a wide screen.
 */
export function DataTable({
  label,
  columns,
  alignTop = false,
  cards = false,
  children,
}: {
  label: string;
  columns: readonly (Column | false)[];
  alignTop?: boolean;
  cards?: boolean;
  children: React.ReactNode;
}) {
  return (
    <div
      role="region"
      aria-label={label}
      tabIndex={0}
      className="relative overflow-x-auto rounded-lg border border-zinc-200 bg-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600"
    >
      <table className={`w-full text-left text-sm ${cards ? CARD_TABLE : ""}`}>
        <thead className={`border-b border-zinc-200 bg-zinc-50 text-xs text-zinc-600 uppercase ${cards ? CARD_HEAD : ""}`}>
          <tr>
            {columns
              .filter((column): column is Column => column !== false)
              .map((column) => {
                if (typeof column === "string") {
                  return (
                    <th key={column} className="px-3 py-2 font-medium">
                      {column}
                    </th>
                  );
                }
                return (
                  <th key={column.title} className={`px-3 py-2 font-medium ${"numeric" in column ? "text-right" : ""}`}>
                    {"srOnly" in column ? <span className="sr-only">{column.title}</span> : column.title}
                  </th>
                );
              })}
          </tr>
        </thead>
        <tbody className={`divide-y divide-zinc-100 ${alignTop ? "align-top" : ""} ${cards ? CARD_BODY : ""}`}>{children}</tbody>
      </table>
    </div>
  );
}
