import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { SetupForm } from "@/components/auth/setup-form";
import { getDb } from "@/lib/db/client";
import { hasUsers } from "@/lib/users/has-users";

export const metadata: Metadata = { title: "Set up" };
export const dynamic = "force-dynamic";

// Exists only on a fresh installation: once any user exists, this page is gone.
export default async function SetupPage() {
  if (await hasUsers(getDb())) notFound();
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center gap-6 px-6 py-10">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Welcome to Keyhold</h1>
        <p className="mt-1 text-sm text-zinc-600">Create the owner account. The owner manages users and everything else.</p>
      </div>
      <SetupForm />
    </main>
  );
}
