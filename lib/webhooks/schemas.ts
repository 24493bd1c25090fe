import { z } from "zod";

import { pageCursor, pageLimit, pageOf } from "../pagination/page-schemas";
import { WEBHOOK_EVENT_TYPES } from "./event-types";

// Request and response shapes of the webhook API (DESIGN.md section 15.5), side by side.
// Responses are parsed through these, so the sealed secret cannot leave by accident.

const eventTypes = z
  .array(z.enum(WEBHOOK_EVENT_TYPES, `must be one of ${WEBHOOK_EVENT_TYPES.join(", ")}`))
  .min(1)
  .max(WEBHOOK_EVENT_TYPES.length);
const url = z.string().trim().min(1).max(2_000);
const description = z.string().trim().max(500);

export const webhookEndpoint = z.strictObject({
  id: z.string(),
  url: z.string(),
  description: z.string(),
  events: z.array(z.string()),
  enabled: z.boolean(),
  createdAt: z.string(),
  disabledReason: z.string().nullable(),
});
export type WebhookEndpointJson = z.infer<typeof webhookEndpoint>;

export const webhookWithSecret = webhookEndpoint.extend({ secret: z.string() });
export const webhookSecretResponse = z.strictObject({ secret: z.string() });
export const webhookListResponse = z.strictObject({ data: z.array(webhookEndpoint) });

export const createWebhookRequest = z.strictObject({
  url,
  description: description.default(""),
  events: eventTypes,
  enabled: z.boolean().default(true),
});
export type CreateWebhookInput = z.input<typeof createWebhookRequest>;

export const updateWebhookRequest = z
  .strictObject({ url: url.optional(), description: description.optional(), events: eventTypes.optional(), enabled: z.boolean().optional() })
  .refine((body) => Object.keys(body).length > 0, { message: "send at least one field to change" });
export type WebhookChanges = z.infer<typeof updateWebhookRequest>;

export const deliveryStatus = z.enum(["pending", "delivered", "failed"]);

export const webhookDelivery = z.strictObject({
  id: z.string(),
  eventType: z.string(),
  status: deliveryStatus,
  attempts: z.number().int(),
  responseStatus: z.number().int().nullable(),
  createdAt: z.string(),
  lastAttemptAt: z.string().nullable(),
});
export type WebhookDeliveryJson = z.infer<typeof webhookDelivery>;

export const listDeliveriesQuery = z.strictObject({ cursor: pageCursor, limit: pageLimit });

export const deliveryListResponse = pageOf(webhookDelivery);
