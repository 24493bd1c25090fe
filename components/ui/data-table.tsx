/** A column heading; `srOnly` for a column whose purpose is plain on screen (row actions). */
export type Column = string | { title: string; srOnly: true };

/**
 * A dashboard table: headings, then the rows given as children. On a phone a table is wider than
 * the screen and scrolls sideways: keyboard users can only scroll what they can focus, hence a
 * named, focusable region. It is positioned so that absolutely positioned content (sr-only
 * headings) stays inside it instead of widening the whole page. A column given as `false` is
 * left out, so optional columns read `canEdit && "Actions"`.
 */
export function DataTable({
  label,
  columns,
  alignTop = false,
  children,
}: {
  label: string;
  columns: readonly (Column | false)[];
  alignTop?: boolean;
  children: React.ReactNode;
}) {
  return (
    <div role="region" aria-label={label} tabIndex={0} className="relative overflow-x-auto rounded-lg border border-zinc-200 bg-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600">
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50 text-xs text-zinc-600 uppercase">
          <tr>
            {columns
              .filter((column): column is Column => column !== false)
              .map((column) => {
                const title = typeof column === "string" ? column : column.title;
                return (
                  <th key={title} className="px-3 py-2 font-medium">
                    {typeof column === "string" ? column : <span className="sr-only">{title}</span>}
                  </th>
                );
              })}
          </tr>
        </thead>
        <tbody className={alignTop ? "divide-y divide-zinc-100 align-top" : "divide-y divide-zinc-100"}>{children}</tbody>
      </table>
    </div>
  );
}
