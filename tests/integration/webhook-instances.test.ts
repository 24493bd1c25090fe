import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";

import { afterAll, beforeAll, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { issueKey } from "../../lib/keys/service";
import { createWebhookEndpoint } from "../../lib/webhooks/endpoint-service";
import { createSecretBox } from "../../lib/webhooks/secret-box";
import { databaseForThisFile } from "../helpers/migrated-database";
import { verifyStandardWebhook } from "../helpers/standard-webhooks-verifier";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

// At-least-once across instances (DESIGN.md section 15.5): an instance SIGKILLed in the middle
// of its deliveries loses none of them: once its leases run out, the other instances (separate
// processes on the same PostgreSQL) send them. Nothing answered 2xx is sent twice.

const SECRET = "instances-test-secret-instances-test-secret";
const EVENTS = 20;
const ROOT = path.resolve(import.meta.dirname, "../..");
const cli: Actor = { type: "cli", id: null };

const shared = databaseForThisFile("keyhold_webhook_instances");
let receiver: WebhookReceiver;
const children: ChildProcess[] = [];

beforeAll(async () => {
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  await receiver?.close();
});

async function startInstance(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", path.join(ROOT, "tests/helpers/webhook-worker-process.ts")], {
    cwd: ROOT,
    env: { ...process.env, DATABASE_URL: shared.database.url, NEXTAUTH_SECRET: SECRET, WEBHOOK_LEASE_MS: "3000" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  children.push(child);
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => chunk.toString().includes("ready") && resolve());
    child.once("exit", (code) => reject(new Error(`instance exited with ${code}`)));
  });
  return child;
}

async function until(condition: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

it("a SIGKILLed instance's deliveries are sent by the others, each answered once", async () => {
  const { secret } = await createWebhookEndpoint(shared.db, { url: receiver.url, events: ["key.created"] }, cli, {
    allowPrivate: true,
    secrets: createSecretBox(SECRET),
  });
  // The first instance's requests get no answer, so it is killed holding claimed deliveries.
  receiver.reply = () => "hang";
  for (let i = 0; i < EVENTS; i++) await issueKey(shared.db, { name: `key ${i}` }, cli);

  const doomed = await startInstance();
  await until(async () => receiver.received.length >= 5, "the first instance to claim a batch");
  const claimedByDoomed = new Set(receiver.received.map((request) => request.headers["webhook-id"]));
  doomed.kill("SIGKILL");
  await new Promise((resolve) => doomed.once("exit", resolve));

  receiver.reply = () => 200;
  receiver.release(503);
  await Promise.all([startInstance(), startInstance()]);
  await until(
    async () => (await shared.admin.query("SELECT count(*)::int AS n FROM webhook_deliveries WHERE status = 'delivered'")).rows[0].n === EVENTS,
    "every delivery",
  );

  const answered = receiver.received.filter((request) => request.answered === 200);
  const ids = answered.map((request) => request.headers["webhook-id"]);
  expect(new Set(ids).size).toBe(EVENTS);
  expect(ids).toHaveLength(EVENTS);
  for (const id of claimedByDoomed) expect(ids).toContain(id);
  for (const request of answered) expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);
  const { rows } = await shared.admin.query("SELECT min(attempts)::int AS min, max(attempts)::int AS max FROM webhook_deliveries");
  console.log(`deliveries: ${EVENTS}, killed instance held ${claimedByDoomed.size}, attempts per delivery ${rows[0].min}..${rows[0].max}`);
}, 120_000);
