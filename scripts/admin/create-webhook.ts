// `create-webhook`: adds an endpoint and prints its signing secret, the only time it is shown.
import { createWebhookEndpoint, presentWebhook } from "../../lib/webhooks/endpoint-service";
import { webhookWithSecret } from "../../lib/webhooks/schemas";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { clean } from "./text";
import { cliWebhookConfig, parseEvents } from "./webhook-options";

export const createWebhookCommand: Command = {
  name: "create-webhook",
  usage: "create-webhook --url URL --events all|a,b [--description D] [--json]",
  async parse(argv) {
    const { values } = parseCommand(this, argv, 0, { url: { type: "string" }, events: { type: "string" }, description: { type: "string" } });
    if (values.help) return commandUsage(this);
    if (!values.url) throw new UsageError(`create-webhook needs --url; usage: ${this.usage}`);
    if (!values.events) throw new UsageError(`create-webhook needs --events; usage: ${this.usage}`);
    const events = parseEvents(values.events);
    const config = cliWebhookConfig();
    return {
      async run(db) {
        const { endpoint, secret } = await createWebhookEndpoint(db, { url: values.url!, events, description: values.description ?? "" }, CLI_ACTOR, config);
        if (values.json) return { json: webhookWithSecret.parse({ ...presentWebhook(endpoint), secret }) };
        return {
          text: `Created webhook endpoint ${endpoint.id} for ${clean(endpoint.url)}.\nSigning secret (shown once, store it now):\n${secret}`,
        };
      },
    };
  },
};
