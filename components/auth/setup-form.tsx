"use client";

import { useRouter } from "next/navigation";

import { setupOwnerAction } from "@/lib/actions/setup";

import { Button } from "../ui/button";
import { Field, Input } from "../ui/field";
import { useActionForm } from "../ui/use-action-form";

export function SetupForm({ token }: { token: string }) {
  const router = useRouter();
  const { pending, errors, onSubmit } = useActionForm({
    send: (form) =>
      setupOwnerAction({ token, ...Object.fromEntries(["email", "name", "password", "confirm"].map((name) => [name, String(form.get(name) ?? "")])) }),
    done: () => router.replace("/login?setup=done"),
  });

  return (
    <form onSubmit={onSubmit} className="flex flex-col gap-4 rounded-lg border border-zinc-200 bg-white p-5">
      <Field label="Email" htmlFor="email" error={errors.email}>
        <Input id="email" name="email" type="email" autoComplete="username" required aria-invalid={Boolean(errors.email)} />
      </Field>
      <Field label="Name" htmlFor="name" error={errors.name}>
        <Input id="name" name="name" autoComplete="name" required />
      </Field>
      <Field label="Password" htmlFor="password" hint="At least 12 characters." error={errors.password}>
        <Input id="password" name="password" type="password" autoComplete="new-password" minLength={12} required aria-invalid={Boolean(errors.password)} />
      </Field>
      <Field label="Repeat the password" htmlFor="confirm" error={errors.confirm}>
        <Input id="confirm" name="confirm" type="password" autoComplete="new-password" minLength={12} required aria-invalid={Boolean(errors.confirm)} />
      </Field>
      <Button type="submit" disabled={pending}>
        {pending ? "Creating…" : "Create owner account"}
      </Button>
    </form>
  );
}
