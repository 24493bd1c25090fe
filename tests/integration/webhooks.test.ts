import pg from "pg";
import { beforeEach, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { ApiError } from "../../lib/errors/api-error";
import { issueKey, revokeKey, rotateKey, updateKey } from "../../lib/keys/service";
import { InvalidKeyThrottle } from "../../lib/ratelimit/invalid-key-throttle";
import { UsageRecorder } from "../../lib/usage/recorder";
import { listDeliveries, retryDelivery } from "../../lib/webhooks/delivery-log";
import { DeliveryWorker } from "../../lib/webhooks/delivery-worker";
import { createWebhookEndpoint, updateWebhookEndpoint } from "../../lib/webhooks/endpoint-service";
import { WEBHOOK_EVENT_TYPES } from "../../lib/webhooks/event-types";
import { runExpiryAlerts } from "../../lib/webhooks/expiry-alerts";
import { createSecretBox } from "../../lib/webhooks/secret-box";
import { deriveUsageAlerts } from "../../lib/webhooks/usage-alerts";
import { webhookFlushHook } from "../../lib/webhooks/usage-flush-hook";
import type { WebhookConfig } from "../../lib/webhooks/webhook-config";
import { databaseForThisFile } from "../helpers/migrated-database";
import { verifyStandardWebhook } from "../helpers/standard-webhooks-verifier";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

// Webhooks end to end against a real PostgreSQL and a real HTTP receiver (DESIGN.md section
// 15.5): every event type arrives once, signed so that an independent verifier accepts it;
// failures are retried; a hanging receiver is cut off; a disabled endpoint gets nothing.

const config: WebhookConfig = { allowPrivate: true, secrets: createSecretBox("integration-test-secret-integration-test") };
const cli: Actor = { type: "cli", id: null };

const shared = databaseForThisFile("keyhold_webhooks");
let receiver: WebhookReceiver;

beforeEach(async () => {
  await shared.admin.query("TRUNCATE webhook_endpoints, webhook_deliveries, alert_marks, quota_marks, api_keys, usage_rollups, audit_logs CASCADE");
  receiver = await startWebhookReceiver();
  return () => receiver.close();
});

async function endpoint(events: readonly string[] = WEBHOOK_EVENT_TYPES, url = receiver.url) {
  return createWebhookEndpoint(shared.db, { url, events: [...events] as never }, cli, config);
}

function worker(options: Partial<ConstructorParameters<typeof DeliveryWorker>[0]> = {}) {
  return new DeliveryWorker({ db: shared.db, ...config, retryBaseMs: 100, ...options });
}

function bodies() {
  return receiver.received.map((request) => JSON.parse(request.body) as { type: string; timestamp: string; data: Record<string, unknown> });
}

describe("every event type", () => {
  it("key lifecycle events arrive once each, signed, without the plaintext key or its hash", async () => {
    const { secret } = await endpoint();
    const { record, key } = await issueKey(shared.db, { name: "svc", remaining: 100 }, cli);
    await updateKey(shared.db, record.id, { name: "svc renamed" }, cli);
    const rotated = await rotateKey(shared.db, record.id, { gracePeriodSeconds: 60 }, cli);
    await revokeKey(shared.db, rotated.record.id, "leaked", cli);
    while ((await worker().runOnce()) > 0);

    expect(bodies().map((body) => body.type)).toEqual(["key.created", "key.updated", "key.rotated", "key.revoked"]);
    for (const request of receiver.received) expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);
    const [, updated, rotation, revoked] = bodies();
    expect((updated!.data.key as { name: string }).name).toBe("svc renamed");
    expect(rotation!.data).toMatchObject({ oldKeyId: record.id, newKeyId: rotated.record.id });
    expect(revoked!.data.key).toMatchObject({ id: rotated.record.id, status: "revoked", revokedReason: "leaked" });
    const everything = receiver.received.map((request) => request.body).join("\n");
    for (const secretText of [key, rotated.key, record.hash, rotated.record.hash]) expect(everything).not.toContain(secretText);
    expect(new Set(receiver.received.map((request) => request.headers["webhook-id"])).size).toBe(4);
  });

  it("a tampered body or a wrong secret fails the independent verifier", async () => {
    const { secret } = await endpoint(["key.created"]);
    await issueKey(shared.db, { name: "svc" }, cli);
    await worker().runOnce();
    const [request] = receiver.received;
    expect(verifyStandardWebhook(secret, request!.headers, request!.body)).toBe(true);
    expect(verifyStandardWebhook(secret, request!.headers, request!.body.replace("svc", "svd"))).toBe(false);
    expect(verifyStandardWebhook(`whsec_${Buffer.alloc(32, 1).toString("base64")}`, request!.headers, request!.body)).toBe(false);
  });

  it("key.expiring 7 days and 1 day before, and key.expired, once each however often the job runs", async () => {
    const { secret } = await endpoint(["key.expiring", "key.expired"]);
    const day = 86_400_000;
    const soon = await issueKey(shared.db, { name: "in 3 days", expiresAt: new Date(Date.now() + 3 * day) }, cli);
    const sooner = await issueKey(shared.db, { name: "in 12 hours", expiresAt: new Date(Date.now() + day / 2) }, cli);
    const gone = await issueKey(shared.db, { name: "expired", expiresAt: new Date(Date.now() + 60_000) }, cli);
    await shared.admin.query("UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1", [gone.record.id]);
    await issueKey(shared.db, { name: "in 30 days", expiresAt: new Date(Date.now() + 30 * day) }, cli);

    expect(await runExpiryAlerts(shared.db)).toBe(true);
    expect(await runExpiryAlerts(shared.db)).toBe(true);
    while ((await worker().runOnce()) > 0);
    const seen = bodies().map((body) => `${body.type} ${(body.data.key as { name: string }).name} ${body.data.within ?? ""}`.trim());
    expect(seen.sort()).toEqual(["key.expired expired", "key.expiring in 12 hours 1d", "key.expiring in 3 days 7d"]);

    // Two days on, the 3-day key is inside its last day: one more warning, and only that one.
    await runExpiryAlerts(shared.db, Date.now() + 2.5 * day);
    await runExpiryAlerts(shared.db, Date.now() + 2.5 * day);
    while ((await worker().runOnce()) > 0);
    expect(receiver.received).toHaveLength(5);
    const last = bodies()[4]!;
    expect(last).toMatchObject({ type: "key.expiring", data: { within: "1d", key: { id: soon.record.id } } });
    expect(sooner.record.id).not.toBe(soon.record.id);
    for (const request of receiver.received) expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);
  });

  it("the expiry job runs on one instance at a time", async () => {
    const holder = new pg.Client({ connectionString: shared.database.url });
    await holder.connect();
    try {
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock(hashtext('keyhold.webhooks.expiry'))");
      expect(await runExpiryAlerts(shared.db)).toBe(false);
      await holder.query("COMMIT");
      expect(await runExpiryAlerts(shared.db)).toBe(true);
    } finally {
      await holder.end();
    }
  });

  it("usage-derived events: quota low and exhausted once per refill, rate limit at most once per 10 minutes, invalid-key flood, usage spike", async () => {
    const { secret } = await endpoint(["key.quota.low", "key.quota.exhausted", "key.ratelimit.exceeded", "security.invalid_key_flood", "usage.spike"]);
    const quota = await issueKey(shared.db, { name: "quota", remaining: 100 }, cli);
    const limited = await issueKey(shared.db, { name: "limited", ratelimit: { limit: 1, windowMs: 60_000 } }, cli);
    const busy = await issueKey(shared.db, { name: "busy" }, cli);
    const flush = (events: { keyId: string | null; outcome: string }[], throttled: string[] = []) =>
      shared.db.$transaction((tx) => deriveUsageAlerts(tx, events, throttled));

    await shared.admin.query("UPDATE api_keys SET remaining = 50 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "valid" }]);
    await shared.admin.query("UPDATE api_keys SET remaining = 10 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "valid" }]);
    await shared.admin.query("UPDATE api_keys SET remaining = 9 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "valid" }]);
    await shared.admin.query("UPDATE api_keys SET remaining = 0 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "quota_exceeded" }]);
    await flush([{ keyId: quota.record.id, outcome: "quota_exceeded" }]);

    await flush([{ keyId: limited.record.id, outcome: "rate_limited" }]);
    await flush([{ keyId: limited.record.id, outcome: "rate_limited" }]);
    await flush([{ keyId: null, outcome: "rate_limited" }], ["198.51.100.7", "198.51.100.7"]);
    await flush([{ keyId: null, outcome: "invalid_key" }], ["198.51.100.7"]);

    await shared.admin.query(
      "INSERT INTO usage_rollups (key_id, minute, outcome, count) VALUES ($1, date_trunc('minute', now()) - interval '5 minutes', 'valid', 150)",
      [busy.record.id],
    );
    await flush([{ keyId: busy.record.id, outcome: "valid" }]);
    while ((await worker().runOnce()) > 0);

    const seen = bodies().map((body) => [body.type, body.data.keyId ?? body.data.ip]);
    expect(seen).toEqual([
      ["key.quota.low", quota.record.id],
      ["key.quota.exhausted", quota.record.id],
      ["key.ratelimit.exceeded", limited.record.id],
      ["security.invalid_key_flood", "198.51.100.7"],
      ["usage.spike", busy.record.id],
    ]);
    expect(bodies()[0]!.data).toMatchObject({ remaining: 10, quota: 100 });
    for (const request of receiver.received) expect(verifyStandardWebhook(secret, request.headers, request.body)).toBe(true);

    // A refill (remaining rises again) arms both quota alerts once more.
    await shared.admin.query("UPDATE api_keys SET remaining = 100 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "valid" }]);
    await shared.admin.query("UPDATE api_keys SET remaining = 5 WHERE id = $1", [quota.record.id]);
    await flush([{ keyId: quota.record.id, outcome: "valid" }]);
    while ((await worker().runOnce()) > 0);
    expect(
      bodies()
        .slice(5)
        .map((body) => body.type),
    ).toEqual(["key.quota.low"]);
  });
});

describe("the usage flush", () => {
  it("turns a rate-limited request and a throttled address into events in the flush's transaction, not the request", async () => {
    await endpoint(["key.ratelimit.exceeded", "security.invalid_key_flood"]);
    const limited = await issueKey(shared.db, { name: "limited", ratelimit: { limit: 1, windowMs: 60_000 } }, cli);
    const recorder = new UsageRecorder(shared.db);
    recorder.addFlushHook(webhookFlushHook);
    const throttle = new InvalidKeyThrottle(2);
    const request = { method: "GET", path: "/api/v1/whoami", latencyMs: 1, at: new Date() };
    recorder.record({ ...request, keyId: limited.record.id, outcome: "rate_limited", status: 429, ip: "203.0.113.5" });
    throttle.recordInvalid("198.51.100.20");
    throttle.recordInvalid("198.51.100.20");
    recorder.record({ ...request, keyId: null, outcome: "rate_limited", status: 429, ip: "198.51.100.20" });
    // Recorded but not flushed: nothing is enqueued on the request path.
    expect(await shared.db.webhookDelivery.count()).toBe(0);
    await recorder.flush();
    const types = (await shared.db.webhookDelivery.findMany({ orderBy: { eventType: "asc" } })).map((row) => [row.eventType, JSON.parse(row.body).data]);
    expect(types).toEqual([
      ["key.ratelimit.exceeded", { keyId: limited.record.id }],
      ["security.invalid_key_flood", { ip: "198.51.100.20" }],
    ]);
    await recorder.stop();
  });
});

describe("delivery", () => {
  it("a receiver that answers 500 and then 200 gets the retry, with the same webhook-id", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    receiver.reply = (_request, index) => (index === 0 ? 500 : 200);
    await issueKey(shared.db, { name: "svc" }, cli);
    const sender = worker({ retryBaseMs: 60_000 });
    expect(await sender.runOnce()).toBe(1);
    let [delivery] = (await listDeliveries(shared.db, created.id)).data;
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, responseStatus: 500 });
    // Backed off: due again about a minute later (the first retry delay), not at once.
    const { rows } = await shared.admin.query("SELECT extract(epoch FROM visible_at - last_attempt_at)::float8 AS wait FROM webhook_deliveries");
    expect(rows[0].wait).toBeGreaterThan(50);
    expect(await sender.runOnce()).toBe(0);
    await shared.admin.query("UPDATE webhook_deliveries SET visible_at = now()");
    expect(await sender.runOnce()).toBe(1);
    [delivery] = (await listDeliveries(shared.db, created.id)).data;
    expect(delivery).toMatchObject({ status: "delivered", attempts: 2, responseStatus: 200 });
    expect(receiver.received.map((request) => request.headers["webhook-id"])).toEqual([delivery!.id, delivery!.id]);
  });

  it("a redirect is a failure, not followed", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    receiver.reply = () => 302;
    await issueKey(shared.db, { name: "svc" }, cli);
    await worker().runOnce();
    expect((await listDeliveries(shared.db, created.id)).data[0]).toMatchObject({ status: "pending", responseStatus: 302 });
    expect(receiver.received).toHaveLength(1);
  });

  it("a receiver that never answers is cut off at 10 seconds and retried later", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    receiver.reply = () => "hang";
    await issueKey(shared.db, { name: "svc" }, cli);
    const started = performance.now();
    await worker().runOnce();
    console.log(`hanging receiver cut off after ${((performance.now() - started) / 1000).toFixed(2)} s`);
    await receiver.closedHung();
    const [delivery] = (await listDeliveries(shared.db, created.id)).data;
    expect(delivery).toMatchObject({ status: "pending", attempts: 1, responseStatus: null });
    const { rows } = await shared.admin.query("SELECT last_error FROM webhook_deliveries");
    expect(rows[0].last_error).toBe("no answer within 10 s");
  }, 30_000);

  it("a disabled endpoint gets nothing: neither new events nor what was waiting", async () => {
    const { endpoint: created } = await endpoint(["key.created", "key.revoked"]);
    const { record } = await issueKey(shared.db, { name: "waiting" }, cli);
    await updateWebhookEndpoint(shared.db, created.id, { enabled: false }, cli, config);
    await revokeKey(shared.db, record.id, null, cli);
    await issueKey(shared.db, { name: "after" }, cli);
    expect(await worker().runOnce()).toBe(0);
    expect(receiver.received).toHaveLength(0);
    const log = (await listDeliveries(shared.db, created.id)).data;
    expect(log.map((delivery) => delivery.status)).toEqual(["failed"]);
    await expect(retryDelivery(shared.db, created.id, log[0]!.id, cli)).rejects.toMatchObject({ code: "conflict" });
  });

  it("an endpoint failing for 24 hours is disabled, with a notice and a system audit entry", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    receiver.reply = () => 503;
    await issueKey(shared.db, { name: "one" }, cli);
    await worker().runOnce();
    await shared.admin.query("UPDATE webhook_endpoints SET failing_since = now() - interval '25 hours'");
    await shared.admin.query("UPDATE webhook_deliveries SET visible_at = now()");
    await worker().runOnce();
    const { rows } = await shared.admin.query("SELECT enabled, disabled_reason FROM webhook_endpoints");
    expect(rows[0]).toEqual({ enabled: false, disabled_reason: "Disabled automatically: every delivery failed for 24 hours." });
    const audit = await shared.admin.query("SELECT actor_type, action, target_id FROM audit_logs WHERE action = 'webhook.disable'");
    expect(audit.rows).toEqual([{ actor_type: "system", action: "webhook.disable", target_id: created.id }]);
    expect((await listDeliveries(shared.db, created.id)).data[0]!.status).toBe("failed");
  });

  it("a delivery pending for 24 hours is given up as failed", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    receiver.reply = () => 500;
    await issueKey(shared.db, { name: "one" }, cli);
    await shared.admin.query("UPDATE webhook_deliveries SET created_at = now() - interval '24 hours 1 minute'");
    await worker().runOnce();
    expect((await listDeliveries(shared.db, created.id)).data[0]).toMatchObject({ status: "failed", attempts: 1, responseStatus: 500 });
  });

  it("a retry by hand sends a delivered event again", async () => {
    const { endpoint: created } = await endpoint(["key.created"]);
    await issueKey(shared.db, { name: "one" }, cli);
    await worker().runOnce();
    const [delivery] = (await listDeliveries(shared.db, created.id)).data;
    await retryDelivery(shared.db, created.id, delivery!.id, cli);
    await worker().runOnce();
    expect(receiver.received).toHaveLength(2);
    expect((await listDeliveries(shared.db, created.id)).data[0]).toMatchObject({ status: "delivered", attempts: 2 });
  });
});

describe("bad input is 400 naming the field, and nothing changes", () => {
  async function refused(attempt: Promise<unknown>, field: string) {
    const error = await attempt.then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ApiError);
    expect((error as ApiError).status).toBe(400);
    expect((error as ApiError).code).toBe("bad_request");
    expect((error as ApiError).message).toContain(field);
    expect(JSON.stringify((error as ApiError).details)).toContain(`"path":"${field}"`);
    const counts = await shared.admin.query(
      "SELECT (SELECT count(*) FROM webhook_endpoints)::int AS endpoints, (SELECT count(*) FROM audit_logs WHERE action LIKE 'webhook.%')::int AS audits",
    );
    expect(counts.rows[0]).toEqual({ endpoints: 0, audits: 0 });
  }
  const strict: WebhookConfig = { ...config, allowPrivate: false };

  it("an http URL without KEYHOLD_WEBHOOK_ALLOW_PRIVATE", async () => {
    await refused(createWebhookEndpoint(shared.db, { url: "http://example.com/hooks", events: ["key.created"] }, cli, strict), "url");
  });

  it("URLs that are or resolve to loopback, private, link-local or metadata addresses", async () => {
    for (const url of [
      "https://127.0.0.1/x",
      "https://localhost/x",
      "https://10.1.2.3/x",
      "https://169.254.169.254/latest/meta-data",
      "https://[::1]/x",
      "https://[fd00:ec2::254]/x",
      "https://[::ffff:192.168.0.1]/x",
      "https://100.100.100.200/x",
    ]) {
      await refused(createWebhookEndpoint(shared.db, { url, events: ["key.created"] }, cli, strict), "url");
    }
  });

  it("an unknown event type", async () => {
    await refused(createWebhookEndpoint(shared.db, { url: receiver.url, events: ["key.exploded"] as never }, cli, config), "events.0");
  });

  it("a 101st endpoint", async () => {
    await shared.admin.query(
      `INSERT INTO webhook_endpoints (id, url, events, secret_encrypted, updated_at)
       SELECT 'whk_' || lpad(n::text, 22, '0'), 'https://example.com/' || n, '{key.created}', 'x', now() FROM generate_series(1, 100) n`,
    );
    const error = await createWebhookEndpoint(shared.db, { url: receiver.url, events: ["key.created"] }, cli, config).catch((caught: unknown) => caught);
    expect(error).toMatchObject({ code: "bad_request", status: 400 });
    expect((error as ApiError).message).toContain("At most 100");
    expect((await shared.admin.query("SELECT count(*)::int AS n FROM webhook_endpoints")).rows[0].n).toBe(100);
  });

  it("a viewer may not create an endpoint", async () => {
    const viewer: Actor = { type: "user", id: "usr_x", role: "VIEWER" };
    await expect(createWebhookEndpoint(shared.db, { url: receiver.url, events: ["key.created"] }, viewer, config)).rejects.toMatchObject({
      code: "insufficient_scope",
    });
    expect((await shared.admin.query("SELECT count(*)::int AS n FROM webhook_endpoints")).rows[0].n).toBe(0);
  });
});
