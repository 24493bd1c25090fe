// `roll-webhook-secret`: a new signing secret, printed once; the old one stops at once.
import { rollWebhookSecret } from "../../lib/webhooks/endpoint-service";
import { webhookSecretResponse } from "../../lib/webhooks/schemas";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { cliWebhookConfig } from "./webhook-options";

export const rollWebhookSecretCommand: Command = {
  name: "roll-webhook-secret",
  usage: "roll-webhook-secret <id> [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {});
    if (values.help) return commandUsage(this);
    const config = cliWebhookConfig();
    return {
      async run(db) {
        const secret = await rollWebhookSecret(db, positionals[0], CLI_ACTOR, config);
        if (values.json) return { json: webhookSecretResponse.parse({ secret }) };
        return { text: `New signing secret for ${positionals[0]} (shown once, store it now):\n${secret}` };
      },
    };
  },
};
