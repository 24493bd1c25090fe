import Link from "next/link";

import { buttonClass } from "./button";

/** The end of a filter form whose state lives in the URL: submit it, or go back to no filters. */
export function FilterActions({ clearHref, filtered, className = "" }: { clearHref: string; filtered: boolean; className?: string }) {
  return (
    <div className={`flex gap-2 ${className}`}>
      <button type="submit" className={buttonClass("secondary", "flex-1 lg:flex-none")}>
        Filter
      </button>
      {filtered && (
        <Link href={clearHref} className={buttonClass("ghost", "flex-1 lg:flex-none")}>
          Clear
        </Link>
      )}
    </div>
  );
}
