"use server";

import { z } from "zod";
import { ApiError } from "@/lib/errors/api-error";
import type { ActionResult } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { hasUsers } from "@/lib/users/has-users";
import { createFirstOwner } from "@/lib/users/service";

const setupRequest = z.strictObject({ email: z.string(), name: z.string(), password: z.string(), confirm: z.string() });

// First run: creates the OWNER account, and only while no user exists at all.
export async function setupOwnerAction(input: unknown): Promise<ActionResult> {
  const parsed = setupRequest.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Fill in every field." };
  const { email, name, password, confirm } = parsed.data;
  if (password !== confirm) return { ok: false, error: "The passwords do not match.", fields: { confirm: "Does not match the password." } };
  // Server actions are public endpoints: the page being gone is not enough. The cheap check
  // saves a bcrypt hash; createFirstOwner decides for two first runs at once.
  if (await hasUsers(getDb())) return { ok: false, error: "Setup is complete already. Sign in instead." };
  try {
    await createFirstOwner(getDb(), { email, name, password });
    return { ok: true, data: null };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.message, fields: fieldOf(error) };
    throw error;
  }
}

function fieldOf(error: ApiError): Record<string, string> | undefined {
  const details = error.details as { path?: string; message?: string }[] | undefined;
  if (!Array.isArray(details)) return undefined;
  return Object.fromEntries(details.filter((detail) => detail.path).map((detail) => [String(detail.path), String(detail.message)]));
}
