"use server";

import { z } from "zod";

import { runAction } from "@/lib/auth/run-action";
import { getDb } from "@/lib/db/client";
import { retryDelivery } from "@/lib/webhooks/delivery-log";
import { createWebhookEndpoint, deleteWebhookEndpoint, presentWebhook, rollWebhookSecret, updateWebhookEndpoint } from "@/lib/webhooks/endpoint-service";
import { createWebhookRequest, updateWebhookRequest } from "@/lib/webhooks/schemas";
import { webhookConfig } from "@/lib/webhooks/webhook-config";

// The Webhooks page's mutations. The services refuse VIEWERs whatever the page showed.

const id = z.string().max(100);

export async function createWebhookAction(input: unknown) {
  return runAction(async ({ actor }) => {
    const { endpoint, secret } = await createWebhookEndpoint(getDb(), createWebhookRequest.parse(input), actor, webhookConfig());
    return { ...presentWebhook(endpoint), secret };
  });
}

export async function updateWebhookAction(endpointId: string, input: unknown) {
  return runAction(async ({ actor }) =>
    presentWebhook(await updateWebhookEndpoint(getDb(), id.parse(endpointId), updateWebhookRequest.parse(input), actor, webhookConfig())),
  );
}

export async function rollWebhookSecretAction(endpointId: string) {
  return runAction(async ({ actor }) => ({ secret: await rollWebhookSecret(getDb(), id.parse(endpointId), actor, webhookConfig()) }));
}

export async function deleteWebhookAction(endpointId: string) {
  return runAction(async ({ actor }) => deleteWebhookEndpoint(getDb(), id.parse(endpointId), actor).then(() => null));
}

export async function retryDeliveryAction(endpointId: string, deliveryId: string) {
  return runAction(async ({ actor }) => retryDelivery(getDb(), id.parse(endpointId), id.parse(deliveryId), actor).then(() => null));
}
