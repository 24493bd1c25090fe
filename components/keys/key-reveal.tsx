"use client";

import Link from "next/link";
import { useEffect, useRef, useState } from "react";
import { toast } from "sonner";

import { Button, buttonClass } from "../ui/button";

// The one time a plaintext key is shown (DESIGN.md section 3): copy it now or never.
export function KeyReveal({ apiKey, keyId }: { apiKey: string; keyId: string }) {
  const [copied, setCopied] = useState<string | null>(null);
  const heading = useRef<HTMLHeadingElement>(null);
  // Only ever rendered after a create or rotate in the browser, so window is there. The browser's
  // origin is right behind a TLS-terminating proxy, where the Host header alone would give http://.
  const curl = `curl -H "Authorization: Bearer ${apiKey}" ${window.location.origin}/api/v1/whoami`;

  // The button that was pressed is gone: focus goes to the warning, so a screen reader reads it
  // first and Tab leads straight to the copy button.
  useEffect(() => {
    heading.current?.focus();
  }, []);

  async function copy(text: string, what: string) {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(what);
      toast.success(`${what} copied`);
    } catch {
      toast.error("Copying is blocked here: select the text and copy it by hand.");
    }
  }

  return (
    <section aria-labelledby="reveal-title" className="flex flex-col gap-3 rounded-lg border border-amber-300 bg-amber-50 p-4">
      <h2 id="reveal-title" ref={heading} tabIndex={-1} className="font-semibold text-amber-950 focus:outline-none">
        Copy this key now. It will not be shown again.
      </h2>
      <p className="text-sm text-amber-950">Keyhold stores only a hash of it. If it is lost, rotate the key to get a new one.</p>
      <div className="flex flex-wrap items-center gap-2">
        <code data-testid="revealed-key" className="rounded border border-amber-300 bg-white px-2 py-1 font-mono text-sm break-all">
          {apiKey}
        </code>
        <Button variant="secondary" onClick={() => copy(apiKey, "Key")}>
          {copied === "Key" ? "Copied" : "Copy key"}
        </Button>
      </div>
      <p className="text-sm text-amber-950">Try it:</p>
      <div className="flex flex-wrap items-center gap-2">
        <code className="rounded border border-amber-300 bg-white px-2 py-1 font-mono text-xs break-all">{curl}</code>
        <Button variant="secondary" onClick={() => copy(curl, "Command")}>
          {copied === "Command" ? "Copied" : "Copy command"}
        </Button>
      </div>
      <div>
        <Link href={`/keys/${keyId}`} className={buttonClass("primary")}>
          I have stored it: open the key
        </Link>
      </div>
    </section>
  );
}
