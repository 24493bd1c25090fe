// `delete-webhook`: removes an endpoint and its delivery log.
import { deleteWebhookEndpoint } from "../../lib/webhooks/endpoint-service";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";

export const deleteWebhookCommand: Command = {
  name: "delete-webhook",
  usage: "delete-webhook <id> [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {});
    if (values.help) return commandUsage(this);
    return {
      async run(db) {
        await deleteWebhookEndpoint(db, positionals[0], CLI_ACTOR);
        return values.json ? { json: { deleted: positionals[0] } } : { text: `Deleted webhook endpoint ${positionals[0]}.` };
      },
    };
  },
};
