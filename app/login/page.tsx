import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { LoginForm } from "@/components/auth/login-form";
import { getCurrentUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { hasUsers } from "@/lib/users/has-users";

export const metadata: Metadata = { title: "Sign in" };
export const dynamic = "force-dynamic";

export default async function LoginPage({ searchParams }: { searchParams: Promise<{ setup?: string; password?: string }> }) {
  if (!(await hasUsers(getDb()))) redirect("/setup");
  if (await getCurrentUser()) redirect("/");
  const { setup, password } = await searchParams;
  return (
    <main className="mx-auto flex min-h-screen max-w-sm flex-col justify-center gap-6 px-6">
      <div>
        <h1 className="text-2xl font-semibold tracking-tight">Sign in to Keyhold</h1>
        {setup === "done" && <p className="mt-1 text-sm text-green-800">Your owner account is ready. Sign in with it.</p>}
        {password === "changed" && <p className="mt-1 text-sm text-green-800">Password changed. You are signed out everywhere: sign in with the new one.</p>}
      </div>
      <LoginForm />
    </main>
  );
}
