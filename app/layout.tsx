import type { Metadata } from "next";
import { connection } from "next/server";
import { Toaster } from "sonner";

import "./globals.css";

export const metadata: Metadata = {
  title: { default: "Keyhold", template: "%s · Keyhold" },
  description: "Self-hosted API key management",
};

// Every page is rendered per request, so each gets the nonce of its own Content-Security-Policy
// (proxy.ts): a page prerendered at build time would carry scripts without one, which would not run.
export default async function RootLayout({ children }: { children: React.ReactNode }) {
  await connection();
  return (
    <html lang="en">
      <body className="min-h-screen bg-zinc-50 font-sans text-zinc-900 antialiased">
        {children}
        <Toaster position="top-right" richColors closeButton />
      </body>
    </html>
  );
}
