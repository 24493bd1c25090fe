"use client";

import { buttonClass } from "@/components/ui/button";

// In production Next replaces a server error's message with a generic one, so nothing from the
// server can show here; the digest is the id the server logged the error under.
export default function DashboardError({ error, retry }: { error: unknown; retry: () => void }) {
  const digest = error instanceof Error && "digest" in error && typeof error.digest === "string" ? error.digest : null;
  return (
    <div role="alert" className="rounded-lg border border-red-200 bg-white px-6 py-10 text-center">
      <h1 className="text-lg font-semibold text-zinc-900">Something went wrong</h1>
      <p className="mt-1 text-sm text-zinc-700">This page could not be loaded. It may be a passing problem, such as the database restarting.</p>
      {digest && <p className="mt-1 text-xs text-zinc-600">Reference for the server log: {digest}</p>}
      <button type="button" onClick={() => retry()} className={buttonClass("primary", "mt-4")}>
        Try again
      </button>
    </div>
  );
}
