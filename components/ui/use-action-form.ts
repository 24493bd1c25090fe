"use client";

import { useState } from "react";
import { toast } from "sonner";

import type { ActionResult } from "@/lib/auth/run-action";

import { submitWith } from "./form";

export type FieldErrors = Record<string, string>;

interface ActionFormOptions<T> {
  /** Checks made in the browser before anything is sent; errors here stop the submission. */
  check?: (form: FormData) => FieldErrors | null;
  send: (form: FormData) => Promise<ActionResult<T>>;
  done: (data: T) => void | Promise<void>;
}

const UNREACHABLE = "Could not reach Keyhold. Check the connection and try again.";

/**
 * The submit cycle every dashboard form shares: pending while the server action runs, its
 * refusal as a toast plus errors next to the fields, `done` only on success. A request that
 * never got an answer is a refusal too, so the button never stays stuck on "Saving…".
 */
export function useActionForm<T>({ check, send, done }: ActionFormOptions<T>) {
  const [pending, setPending] = useState(false);
  const [errors, setErrors] = useState<FieldErrors>({});

  async function submit(form: FormData) {
    const invalid = check?.(form);
    if (invalid) {
      setErrors(invalid);
      return;
    }
    setPending(true);
    const result = await send(form).catch((): ActionResult<T> => ({ ok: false, error: UNREACHABLE }));
    setPending(false);
    if (!result.ok) {
      setErrors(result.fields ?? {});
      toast.error(result.error);
      return;
    }
    setErrors({});
    await done(result.data);
  }

  return { pending, errors, onSubmit: submitWith(submit) };
}
