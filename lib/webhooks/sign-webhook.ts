import { createHmac } from "node:crypto";

// Standard Webhooks signing (https://www.standardwebhooks.com): the HMAC-SHA256 key is the
// base64-decoded part of the secret after `whsec_`; the signed content is "id.timestamp.body".

// A type, not an interface: it is handed on as a plain header record.
export type WebhookHeaders = {
  "webhook-id": string;
  "webhook-timestamp": string;
  "webhook-signature": string;
};

export function signWebhook(secret: string, id: string, timestampSeconds: number, body: string): WebhookHeaders {
  const key = Buffer.from(secret.replace(/^whsec_/, ""), "base64");
  const timestamp = String(timestampSeconds);
  const signature = createHmac("sha256", key).update(`${id}.${timestamp}.${body}`).digest("base64");
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": `v1,${signature}` };
}
