// `list-deliveries`: an endpoint's latest deliveries, newest first.
import { listDeliveries } from "../../lib/webhooks/delivery-log";
import { deliveryListResponse } from "../../lib/webhooks/schemas";
import { commandUsage, parseCommand, type Command } from "./command";
import { formatTable } from "./text";

export const listDeliveriesCommand: Command = {
  name: "list-deliveries",
  usage: "list-deliveries <webhook id> [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {});
    if (values.help) return commandUsage(this);
    return {
      async run(db) {
        const page = await listDeliveries(db, positionals[0], { limit: 100 });
        if (values.json) return { json: deliveryListResponse.parse(page) };
        if (page.data.length === 0) return { text: "No deliveries." };
        const rows = page.data.map((delivery) => [
          delivery.id,
          delivery.eventType,
          delivery.status,
          String(delivery.attempts),
          String(delivery.responseStatus ?? "-"),
          delivery.createdAt,
        ]);
        return { text: formatTable(["ID", "EVENT", "STATUS", "ATTEMPTS", "RESPONSE", "CREATED"], rows) };
      },
    };
  },
};
