// `retry-delivery`: queues a delivery again for the running servers' workers.
import { retryDelivery } from "../../lib/webhooks/delivery-log";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";

export const retryDeliveryCommand: Command = {
  name: "retry-delivery",
  usage: "retry-delivery <webhook id> <delivery id> [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 2, {});
    if (values.help) return commandUsage(this);
    const [endpointId, deliveryId] = positionals;
    return {
      async run(db) {
        await retryDelivery(db, endpointId, deliveryId, CLI_ACTOR);
        return values.json ? { json: { queued: deliveryId } } : { text: `Delivery ${deliveryId} is queued again.` };
      },
    };
  },
};
