"use client";

import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";

import { Button } from "../ui/button";

// The one time a webhook signing secret is shown (DESIGN.md section 15.5): Keyhold keeps it
// only encrypted and never shows it again; rolling it makes a new one.
export function SecretReveal({ secret }: { secret: string }) {
  const [copied, setCopied] = useState(false);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    heading.current?.focus();
  }, []);

  async function copy() {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied(true);
      toast.success("Secret copied");
    } catch {
      toast.error("Copying is blocked here: select the text and copy it by hand.");
    }
  }

  return (
    <section aria-labelledby="secret-title" className="flex flex-col gap-3 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 id="secret-title" ref={heading} tabIndex={-1} className="font-semibold text-amber-950 focus:outline-none">
        Copy this signing secret now. It will not be shown again.
      </h2>
      <p className="text-sm text-amber-950">
        Your receiver checks each request&apos;s <code>webhook-signature</code> with it (Standard Webhooks). Lost it? Roll the secret.
      </p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="revealed-secret" className="rounded border border-amber-300 bg-white px-2 py-1 font-mono text-sm break-all">
          {secret}
        </code>
        <Button variant="secondary" onClick={copy}>
          {copied ? "Copied" : "Copy secret"}
        </Button>
      </div>
    </section>
  );
}
