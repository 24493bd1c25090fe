// What the webhook commands share: the secret box (sealed with the server's NEXTAUTH_SECRET, so
// the CLI must use the same one) and the --events list.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { parseEnv } from "../../lib/env";
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from "../../lib/webhooks/event-types";
import { createSecretBox } from "../../lib/webhooks/secret-box";
import type { WebhookConfig } from "../../lib/webhooks/webhook-config";
import { UsageError } from "../cli/run-command";
import { quote } from "./text";

const root = path.resolve(import.meta.dirname, "../..");

/** The server's webhook settings. Never generates a secret: one the server does not share would seal secrets it cannot open. */
export function cliWebhookConfig(): WebhookConfig {
  const config = parseEnv({ ...process.env, NODE_ENV: undefined });
  const file = path.join(path.resolve(root, config.KEYHOLD_DATA_DIR), "nextauth-secret");
  const secret = config.NEXTAUTH_SECRET ?? (!config.DATABASE_URL && existsSync(file) ? readFileSync(file, "utf8").trim() : undefined);
  if (!secret) throw new UsageError("NEXTAUTH_SECRET is not set: webhook secrets are sealed with the server's, so set the same value here.");
  return { allowPrivate: config.KEYHOLD_WEBHOOK_ALLOW_PRIVATE, secrets: createSecretBox(secret) };
}

/** `--events a,b` or `--events all`. */
export function parseEvents(value: string): WebhookEventType[] {
  if (value.trim() === "all") return [...WEBHOOK_EVENT_TYPES];
  const events = value
    .split(",")
    .map((event) => event.trim())
    .filter(Boolean);
  const unknown = events.filter((event) => !(WEBHOOK_EVENT_TYPES as readonly string[]).includes(event));
  if (events.length === 0 || unknown.length > 0) {
    throw new UsageError(
      `--events takes "all" or a comma-separated list of ${WEBHOOK_EVENT_TYPES.join(", ")}${unknown.length ? `; unknown: ${quote(unknown.join(","))}` : ""}.`,
    );
  }
  return events as WebhookEventType[];
}
