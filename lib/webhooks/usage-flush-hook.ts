import type { UsageFlushHook } from "../usage/write-usage";
import { noteThrottledAddress, takeThrottledAddresses } from "./throttled-addresses";
import { deriveUsageAlerts } from "./usage-alerts";

/**
 * The usage flush's webhook step: runs in the flush's transaction, so the alerts' outbox rows
 * commit with the usage they follow from. Addresses taken for a flush that fails are put back.
 */
export const webhookFlushHook: UsageFlushHook = async (tx, batch) => {
  const throttled = takeThrottledAddresses();
  try {
    await deriveUsageAlerts(tx, [...batch.events, ...batch.tallies], throttled);
  } catch (error) {
    for (const address of throttled) noteThrottledAddress(address);
    throw error;
  }
};
