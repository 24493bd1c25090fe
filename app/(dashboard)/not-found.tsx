import Link from "next/link";

import { buttonClass } from "@/components/ui/button";

export default function DashboardNotFound() {
  return (
    <div className="rounded-lg border border-dashed border-zinc-300 bg-white px-6 py-10 text-center">
      <h1 className="text-lg font-semibold text-zinc-900">Not found</h1>
      <p className="mt-1 text-sm text-zinc-700">Nothing is here: the key, scope or page may never have existed, or the link is mistyped.</p>
      <div className="mt-4 flex flex-wrap justify-center gap-2">
        <Link href="/keys" className={buttonClass("primary")}>
          All keys
        </Link>
        <Link href="/" className={buttonClass("secondary")}>
          Overview
        </Link>
      </div>
    </div>
  );
}
