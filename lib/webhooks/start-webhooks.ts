import type { Db } from "../db/client";
import { onShutdown } from "../process/shutdown";
import { getUsageRecorder } from "../usage/recorder";
import { DeliveryWorker } from "./delivery-worker";
import { runExpiryAlerts } from "./expiry-alerts";
import { pruneWebhookHistory } from "./prune-webhooks";
import { webhookFlushHook } from "./usage-flush-hook";
import { webhookConfig } from "./webhook-config";

// Background webhook work of one server process: the delivery worker, the expiry job each
// minute, the 30-day pruning each hour, and the usage-derived alerts in every usage flush.
// Stopped at shutdown before the database closes.

const EXPIRY_EVERY_MS = 60_000;
const PRUNE_EVERY_MS = 3_600_000;

export function startWebhooks(db: Db): void {
  const worker = new DeliveryWorker({ db, ...webhookConfig() });
  worker.start();
  getUsageRecorder().addFlushHook(webhookFlushHook);
  const quietly = (name: string, job: () => Promise<unknown>) => () =>
    void job().catch((error: unknown) => console.error(`webhooks: ${name} failed (${error instanceof Error ? error.name : typeof error})`));
  const expiry = setInterval(
    quietly("expiry job", () => runExpiryAlerts(db)),
    EXPIRY_EVERY_MS,
  );
  const prune = setInterval(
    quietly("pruning", () => pruneWebhookHistory(db)),
    PRUNE_EVERY_MS,
  );
  expiry.unref();
  prune.unref();
  onShutdown("flush", async () => {
    clearInterval(expiry);
    clearInterval(prune);
    await worker.stop();
  });
}
