"use server";

import { z } from "zod";

import type { ActionResult } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { env } from "@/lib/env";
import { ApiError } from "@/lib/errors/api-error";
import { hasUsers } from "@/lib/users/has-users";
import { createFirstOwner } from "@/lib/users/service";
import { isSetupToken } from "@/lib/users/setup-token";

const setupRequest = z.strictObject({ token: z.string(), email: z.string(), name: z.string(), password: z.string(), confirm: z.string() });

// First run: creates the OWNER account, and only while no user exists at all, for whoever holds
// the setup token the server printed at start (whoever reaches a fresh instance first is not enough).
export async function setupOwnerAction(input: unknown): Promise<ActionResult> {
  const parsed = setupRequest.safeParse(input);
  if (!parsed.success) return { ok: false, error: "Fill in every field." };
  const { token, email, name, password, confirm } = parsed.data;
  // Server actions are public endpoints: the page being gone is not enough. The cheap check
  // saves a bcrypt hash; createFirstOwner decides for two first runs at once.
  if (await hasUsers(getDb())) return { ok: false, error: "Setup is complete already. Sign in instead." };
  if (!isSetupToken(env().NEXTAUTH_SECRET, token)) {
    return { ok: false, error: "This setup link is not valid: open the one the server printed when it started (it contains /setup?token=)." };
  }
  if (password !== confirm) return { ok: false, error: "The passwords do not match.", fields: { confirm: "Does not match the password." } };
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
