// `update-webhook`: changes an endpoint, or enables or disables it (for example after fixing a
// receiver that Keyhold disabled for failing).
import { presentWebhook, updateWebhookEndpoint } from "../../lib/webhooks/endpoint-service";
import { webhookEndpoint, type WebhookChanges } from "../../lib/webhooks/schemas";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { clean } from "./text";
import { cliWebhookConfig, parseEvents } from "./webhook-options";

export const updateWebhookCommand: Command = {
  name: "update-webhook",
  usage: "update-webhook <id> [--url URL] [--events all|a,b] [--description D] [--enable|--disable] [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {
      url: { type: "string" },
      events: { type: "string" },
      description: { type: "string" },
      enable: { type: "boolean" },
      disable: { type: "boolean" },
    });
    if (values.help) return commandUsage(this);
    if (values.enable && values.disable) throw new UsageError("--enable and --disable cannot go together.");
    const changes: WebhookChanges = {};
    if (values.url !== undefined) changes.url = values.url;
    if (values.events !== undefined) changes.events = parseEvents(values.events);
    if (values.description !== undefined) changes.description = values.description;
    if (values.enable || values.disable) changes.enabled = Boolean(values.enable);
    if (Object.keys(changes).length === 0) throw new UsageError(`update-webhook needs something to change; usage: ${this.usage}`);
    const config = cliWebhookConfig();
    return {
      async run(db) {
        const endpoint = presentWebhook(await updateWebhookEndpoint(db, positionals[0], changes, CLI_ACTOR, config));
        if (values.json) return { json: webhookEndpoint.parse(endpoint) };
        return { text: `Updated webhook endpoint ${endpoint.id} (${clean(endpoint.url)}): ${endpoint.enabled ? "enabled" : "disabled"}.` };
      },
    };
  },
};
