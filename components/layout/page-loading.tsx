// Shown while a dashboard page's server data loads; the layout (navigation) stays in place.
// app/(dashboard)/(pages)/loading.tsx shows it for most pages. /users and /keys/[id] sit outside
// that group with their own loading.tsx below a layout that checks first: a loading boundary
// above those layouts would stream the page before they could answer 404, and the status line
// would say 200.
export function PageLoading() {
  return (
    <div role="status" aria-live="polite" className="animate-pulse">
      <span className="sr-only">Loading…</span>
      <div aria-hidden="true">
        <div className="mb-2 h-7 w-48 rounded bg-zinc-200" />
        <div className="mb-6 h-4 w-72 max-w-full rounded bg-zinc-200" />
        <div className="mb-6 grid grid-cols-1 gap-3 sm:grid-cols-3">
          {[0, 1, 2].map((index) => (
            <div key={index} className="h-20 rounded-lg border border-zinc-200 bg-white" />
          ))}
        </div>
        <div className="mb-6 h-64 rounded-lg border border-zinc-200 bg-white" />
        <div className="flex flex-col gap-2 rounded-lg border border-zinc-200 bg-white p-3">
          {[0, 1, 2, 3, 4].map((index) => (
            <div key={index} className="h-4 rounded bg-zinc-100" />
          ))}
        </div>
      </div>
    </div>
  );
}
