"use client";

import Script from "next/script";
import { useRef } from "react";

interface ScalarGlobal {
  createApiReference(element: HTMLElement, configuration: Record<string, unknown>): { destroy?: () => void };
}

// Scalar's reference UI, from the bundle our own origin serves (app/docs/api/scalar.js). It runs
// offline: no default fonts (they come from Scalar's servers), no telemetry, and requests made
// from the "try it" client go straight to this server, not through Scalar's proxy.
const CONFIGURATION = {
  withDefaultFonts: false,
  telemetry: false,
  showDeveloperTools: "never",
  agent: { disabled: true },
  mcp: { disabled: true },
  documentDownloadType: "json",
  defaultOpenAllTags: true,
};

export function ApiReference({ documentUrl }: { documentUrl: string }) {
  const container = useRef<HTMLDivElement>(null);
  return (
    <>
      <div ref={container} />
      <Script
        src="/docs/api/scalar.js"
        strategy="afterInteractive"
        onReady={() => {
          const scalar = (window as unknown as { Scalar?: ScalarGlobal }).Scalar;
          if (scalar && container.current) scalar.createApiReference(container.current, { ...CONFIGURATION, url: documentUrl });
        }}
      />
    </>
  );
}
