import Link from "next/link";

/**
 * The filters a list's URL applies, one chip each: the chip's link is the same URL without it,
 * so any filter clears in one click, and "Clear all" drops them together.
 */
export function FilterChips({ path, applied, labels }: { path: string; applied: Record<string, string>; labels: Record<string, string> }) {
  // In the order of `labels`, whatever order the URL has them in.
  const chips = Object.keys(labels).flatMap((name): [string, string][] => (applied[name] ? [[name, applied[name]]] : []));
  if (chips.length === 0) return null;
  const href = (without: string) => {
    const kept = chips.filter(([name]) => name !== without);
    const query = new URLSearchParams(kept).toString();
    return query ? `${path}?${query}` : path;
  };
  return (
    <ul aria-label="Filters applied" className="flex flex-wrap items-center gap-1.5 text-sm">
      {chips.map(([name, value]) => (
        <li key={name}>
          <Link
            href={href(name)}
            aria-label={`Remove filter ${labels[name]}: ${value}`}
            className="inline-flex max-w-72 items-center gap-1 rounded-full border border-zinc-300 bg-white py-0.5 pr-1.5 pl-2.5 text-zinc-800 hover:border-zinc-400 hover:bg-zinc-100"
          >
            <span className="truncate">
              <span className="text-zinc-600">{labels[name]}:</span> {value}
            </span>
            <span aria-hidden className="text-base leading-none text-zinc-500">
              ×
            </span>
          </Link>
        </li>
      ))}
      {chips.length > 1 && (
        <li>
          <Link href={path} className="px-1.5 text-blue-800 underline hover:no-underline">
            Clear all
          </Link>
        </li>
      )}
    </ul>
  );
}
