import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { SetupForm } from "@/components/auth/setup-form";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { hasUsers } from "@/lib/users/has-users";
import { isSetupToken } from "@/lib/users/setup-token";

export const metadata: Metadata = { title: "Set up" };
export const dynamic = "force-dynamic";

// Exists only on a fresh installation: once any user exists, this page is gone. Before that it
// needs the setup link the server printed at start.
export default async function SetupPage({ searchParams }: { searchParams: Promise<{ token?: string | string[] }> }) {
  if (await hasUsers(getDb())) notFound();
  const { token } = await searchParams;
  const valid = isSetupToken(env().NEXTAUTH_SECRET, token);
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center gap-6 px-6 py-10">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Welcome to Keyhold</h1>
        <p className="mt-1 text-sm text-zinc-600">
          {valid
            ? "Create the owner account. The owner manages users and everything else."
            : "To create the owner account, open the setup link the server printed when it started: a line containing /setup?token=. Restarting the server prints it again."}
        </p>
      </div>
      {valid ? <SetupForm token={token as string} /> : null}
    </main>
  );
}
