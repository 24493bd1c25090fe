"use client";

import { signIn } from "next-auth/react";
import { useRouter } from "next/navigation";
import { useState } from "react";

import { SIGNIN_UNAVAILABLE } from "@/lib/auth/signin-errors";

import { Button } from "../ui/button";
import { Field, Input } from "../ui/field";
import { submitWith } from "../ui/form";

export function LoginForm() {
  const router = useRouter();
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);

  async function submit(form: FormData) {
    setPending(true);
    setError(null);
    const result = await signIn("credentials", {
      email: String(form.get("email") ?? ""),
      password: String(form.get("password") ?? ""),
      redirect: false,
    });
    setPending(false);
    if (result?.error === SIGNIN_UNAVAILABLE) {
      setError("Sign-in is unavailable right now. Try again shortly.");
      return;
    }
    // One message for every failure: it must not reveal whether the email exists.
    if (!result || result.error) {
      setError("Wrong email or password.");
      return;
    }
    router.replace("/");
    router.refresh();
  }

  return (
    <form onSubmit={submitWith(submit)} className="flex flex-col gap-4 rounded-lg border border-zinc-200 bg-white p-5">
      <Field label="Email" htmlFor="email">
        <Input id="email" name="email" type="email" autoComplete="username" required />
      </Field>
      <Field label="Password" htmlFor="password">
        <Input id="password" name="password" type="password" autoComplete="current-password" required />
      </Field>
      {error && (
        <p role="alert" className="text-sm text-red-700">
          {error}
        </p>
      )}
      <Button type="submit" disabled={pending}>
        {pending ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}
