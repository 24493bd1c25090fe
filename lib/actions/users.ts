"use server";

import { z } from "zod";

import { ROLES } from "@/lib/access/roles";
import { runAction } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { throttleAddress } from "@/lib/ratelimit/throttle-address";
import { changeOwnPassword, changeRole, createUser, disableUser } from "@/lib/users/service";

// Users: OWNER-only rules are enforced by lib/users/service.ts for every call, whoever calls.

const newUser = z.strictObject({ email: z.string(), name: z.string(), password: z.string(), role: z.enum(ROLES) });

export async function createUserAction(input: unknown) {
  return runAction(async ({ actor }) => {
    const user = await createUser(getDb(), newUser.parse(input), actor);
    return { id: user.id, email: user.email };
  });
}

export async function changeRoleAction(userId: string, role: string) {
  return runAction(async ({ actor }) => {
    await changeRole(getDb(), z.string().parse(userId), z.enum(ROLES).parse(role), actor);
    return null;
  });
}

export async function disableUserAction(email: string) {
  return runAction(async ({ actor }) => {
    await disableUser(getDb(), z.string().parse(email), actor);
    return null;
  });
}

export async function changeOwnPasswordAction(input: unknown) {
  return runAction(async ({ user, actor }) => {
    const body = z.strictObject({ current: z.string(), password: z.string() }).parse(input);
    await changeOwnPassword(getDb(), user.id, body.current, body.password, throttleAddress(actor.ip ?? null));
    return null;
  });
}
