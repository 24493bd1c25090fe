import { env } from "../env";
import { createSecretBox, type SecretBox } from "./secret-box";

// What webhook code takes from the configuration: whether private receivers are allowed
// (tests and local development) and the box that seals signing secrets.
export interface WebhookConfig {
  allowPrivate: boolean;
  secrets: SecretBox;
}

export function webhookConfig(): WebhookConfig {
  const settings = env();
  return { allowPrivate: settings.KEYHOLD_WEBHOOK_ALLOW_PRIVATE, secrets: createSecretBox(settings.NEXTAUTH_SECRET ?? process.env.NEXTAUTH_SECRET) };
}
