import { NextResponse, type NextRequest } from "next/server";

import { pageSecurityHeaders } from "@/lib/server/page-security-headers";

// A fresh CSP nonce for every page request: Next reads it from the request's
// Content-Security-Policy header and puts it on every script it renders.
export function proxy(request: NextRequest) {
  const nonce = Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("base64");
  const headers = pageSecurityHeaders({ nonce, dev: process.env.NODE_ENV === "development", publicUrl: process.env.NEXTAUTH_URL });
  const requestHeaders = new Headers(request.headers);
  requestHeaders.set("Content-Security-Policy", headers["Content-Security-Policy"]!);
  const response = NextResponse.next({ request: { headers: requestHeaders } });
  for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
  return response;
}

export const config = {
  // Pages only: API answers are JSON, and static files carry no scripts of their own.
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|icon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
