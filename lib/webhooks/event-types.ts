// The webhook event types of DESIGN.md section 15.5, the one list the API, the dashboard, the
// CLI and the emitters check against.
export const WEBHOOK_EVENT_TYPES = [
  "key.created",
  "key.updated",
  "key.rotated",
  "key.revoked",
  "key.expiring",
  "key.expired",
  "key.quota.low",
  "key.quota.exhausted",
  "key.ratelimit.exceeded",
  "security.invalid_key_flood",
  "usage.spike",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];
