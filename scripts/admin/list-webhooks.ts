// `list-webhooks`: every endpoint, with its state and why it is disabled.
import { listWebhookEndpoints, presentWebhook } from "../../lib/webhooks/endpoint-service";
import { webhookListResponse } from "../../lib/webhooks/schemas";
import { commandUsage, parseCommand, type Command } from "./command";
import { formatTable } from "./text";

export const listWebhooksCommand: Command = {
  name: "list-webhooks",
  usage: "list-webhooks [--json]",
  async parse(argv) {
    const { values } = parseCommand(this, argv, 0, {});
    if (values.help) return commandUsage(this);
    return {
      async run(db) {
        const data = (await listWebhookEndpoints(db)).map(presentWebhook);
        if (values.json) return { json: webhookListResponse.parse({ data }) };
        if (data.length === 0) return { text: "No webhook endpoints." };
        const rows = data.map((endpoint) => [
          endpoint.id,
          endpoint.url,
          endpoint.enabled ? "enabled" : `disabled: ${endpoint.disabledReason ?? ""}`,
          endpoint.events.join(","),
        ]);
        return { text: `${formatTable(["ID", "URL", "STATE", "EVENTS"], rows)}\n${data.length} endpoint${data.length === 1 ? "" : "s"}.` };
      },
    };
  },
};
