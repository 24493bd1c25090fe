"use server";

import { z } from "zod";

import { runAction } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { createScopeRequest, updateScopeRequest } from "@/lib/scopes/schemas";
import { createScope, updateScope } from "@/lib/scopes/service";

export async function createScopeAction(input: unknown) {
  return runAction(async ({ actor }) => createScope(getDb(), createScopeRequest.parse(input), actor));
}

export async function updateScopeAction(id: string, input: unknown) {
  return runAction(async ({ actor }) => updateScope(getDb(), z.string().parse(id), updateScopeRequest.parse(input), actor));
}
