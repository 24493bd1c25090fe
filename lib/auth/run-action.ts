import { headers } from "next/headers";
import { ZodError } from "zod";

import type { Actor } from "../access/actor";
import { clientIp } from "../api/client-ip";
import { env } from "../env";
import { ApiError } from "../errors/api-error";
import { getCurrentUser, userActor, type CurrentUser } from "./session";

// What a dashboard server action answers: the client shows `error` in a toast or next to
// `fields`, never a stack trace.
export type ActionResult<T = null> = { ok: true; data: T } | { ok: false; error: string; fields?: Record<string, string> };

/**
 * Runs a dashboard mutation as the signed-in user. Server actions are public POST endpoints,
 * so the user is looked up again here and the lib/ services enforce the role, whatever the UI showed.
 */
export async function runAction<T>(work: (context: { user: CurrentUser; actor: Actor }) => Promise<T>): Promise<ActionResult<T>> {
  const user = await getCurrentUser();
  if (!user) return { ok: false, error: "Your session has ended. Sign in again." };
  const ip = clientIp(await headers(), env().KEYHOLD_TRUSTED_PROXIES);
  try {
    return { ok: true, data: await work({ user, actor: userActor(user, ip) }) };
  } catch (error) {
    if (error instanceof ApiError) return { ok: false, error: error.message, fields: fieldsOf(error.details) };
    if (error instanceof ZodError) {
      return {
        ok: false,
        error: "Some fields are not valid.",
        fields: Object.fromEntries(error.issues.map((issue) => [issue.path.join("."), issue.message])),
      };
    }
    console.error(`dashboard action failed: ${error instanceof Error ? error.name : typeof error}`);
    return { ok: false, error: "Something went wrong on our side. Try again." };
  }
}

function fieldsOf(details: unknown): Record<string, string> | undefined {
  if (!Array.isArray(details)) return undefined;
  const fields: Record<string, string> = {};
  for (const item of details) {
    if (item && typeof item === "object" && "path" in item && "message" in item) fields[String(item.path)] = String(item.message);
  }
  return Object.keys(fields).length > 0 ? fields : undefined;
}
