// One Keyhold instance's delivery worker on its own, as a process a test can SIGKILL:
// `node --import tsx tests/helpers/webhook-worker-process.ts` with DATABASE_URL,
// NEXTAUTH_SECRET and WEBHOOK_LEASE_MS in the environment. Prints "ready" once running.
import { createDb } from "../../lib/db/client";
import { DeliveryWorker } from "../../lib/webhooks/delivery-worker";
import { createSecretBox } from "../../lib/webhooks/secret-box";

const db = createDb(process.env.DATABASE_URL!);
const worker = new DeliveryWorker({
  db,
  secrets: createSecretBox(process.env.NEXTAUTH_SECRET),
  allowPrivate: true,
  pollMs: 100,
  batchSize: 5,
  leaseMs: Number(process.env.WEBHOOK_LEASE_MS),
  retryBaseMs: 100,
});
worker.start();
console.log("ready");
process.on(
  "SIGTERM",
  () =>
    void worker
      .stop()
      .then(() => db.$disconnect())
      .then(() => process.exit(0)),
);
