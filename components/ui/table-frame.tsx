/**
 * The box around a table. On a phone a table is wider than the screen and scrolls sideways:
 * keyboard users can only scroll what they can focus, hence a named, focusable region. It is
 * positioned so that absolutely positioned content (sr-only headers) stays inside it instead of
 * widening the whole page.
 */
export function TableFrame({ label, children }: { label: string; children: React.ReactNode }) {
  return (
    <div role="region" aria-label={label} tabIndex={0} className="relative overflow-x-auto rounded-lg border border-zinc-200 bg-white focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-blue-600">
      {children}
    </div>
  );
}
