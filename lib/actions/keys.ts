"use server";

import { z } from "zod";

import { runAction } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { createKeyRequest, rotateKeyRequest, updateKeyRequest } from "@/lib/keys/schemas";
import { issueKey, revokeKey, rotateKey, updateKey } from "@/lib/keys/service";

// Dashboard key mutations: the same lib/keys services and request schemas as the HTTP API.

export async function createKeyAction(input: unknown) {
  return runAction(async ({ actor }) => {
    const { record, key } = await issueKey(getDb(), createKeyRequest.parse(input), actor);
    return { id: record.id, key };
  });
}

export async function updateKeyAction(id: string, input: unknown) {
  return runAction(async ({ actor }) => {
    await updateKey(getDb(), z.string().parse(id), updateKeyRequest.parse(input), actor);
    return null;
  });
}

export async function rotateKeyAction(id: string, input: unknown) {
  return runAction(async ({ actor }) => {
    const { gracePeriodSeconds, expiresAt } = rotateKeyRequest.parse(input);
    const { record, key } = await rotateKey(getDb(), z.string().parse(id), { gracePeriodSeconds, expiresAt: expiresAt ?? null }, actor);
    return { id: record.id, key };
  });
}

export async function revokeKeyAction(id: string, reason: string) {
  return runAction(async ({ actor }) => {
    const text = z.string().trim().max(500).parse(reason);
    await revokeKey(getDb(), z.string().parse(id), text === "" ? null : text, actor);
    return null;
  });
}
