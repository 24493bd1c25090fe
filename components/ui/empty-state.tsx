// The same frame as an empty chart's, so a page of empty sections stays short and even.
export function EmptyState({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 bg-white p-6 text-center text-sm">
      <p className="font-medium text-zinc-700">{title}</p>
      {children && <div className="mt-1 text-zinc-600">{children}</div>}
    </div>
  );
}
