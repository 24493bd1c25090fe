import { expect, test, type APIRequestContext } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { e2eDb } from "../helpers/e2e-database";
import { verifyStandardWebhook } from "../helpers/standard-webhooks-verifier";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

// The webhook and audit API (DESIGN.md sections 15.5 and 15.6) over HTTP with root keys, against
// the production server, whose delivery worker sends to a real receiver on 127.0.0.1 (the e2e
// server runs with KEYHOLD_WEBHOOK_ALLOW_PRIVATE=1; the refusal of private addresses without it
// is tested in tests/integration/webhooks.test.ts).

const system = { type: "system" as const, id: null };
const uniq = () => `t${Math.random().toString(36).slice(2, 10)}`;
const from = () => ({ "x-forwarded-for": `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 254) + 1).join(".")}` });

interface Reply {
  status: number;
  headers: Record<string, string>;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON under test, checked field by field
  body: any;
}

async function call(request: APIRequestContext, key: string, method: string, path: string, data?: unknown, params?: Record<string, string>): Promise<Reply> {
  const response = await request.fetch(path, { method, headers: { ...from(), authorization: `Bearer ${key}` }, data, params });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: response.status(), headers: response.headers(), text, body };
}

async function rootKey(scopes: string[]): Promise<{ key: string; id: string }> {
  const issued = await issueKey(e2eDb(), { name: `root ${uniq()}`, scopes }, system);
  return { key: issued.key, id: issued.record.id };
}

function expectError(reply: Reply, status: number, code: string, field?: string) {
  expect(reply.status, reply.text).toBe(status);
  expect(reply.body?.error?.code, reply.text).toBe(code);
  if (field) expect(reply.body.error.message, reply.text).toContain(field);
}

let receiver: WebhookReceiver;
test.beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
test.afterAll(async () => {
  await receiver?.close();
});

test.describe("webhooks API", () => {
  test("create (secret once), list, read, change, deliveries, retry, roll, delete", async ({ request }) => {
    const { key } = await rootKey(["webhooks:write", "keys:write"]);
    const created = await call(request, key, "POST", "/api/v1/webhooks", { url: receiver.url, description: "ops", events: ["key.created"] });
    expect(created.status, created.text).toBe(201);
    expect(Object.keys(created.body).sort()).toEqual(["createdAt", "description", "disabledReason", "enabled", "events", "id", "secret", "url"]);
    expect(created.body.id).toMatch(/^whk_[0-9A-Za-z]{22}$/);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const id = created.body.id as string;

    const read = await call(request, key, "GET", `/api/v1/webhooks/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty("secret");
    expect(JSON.stringify((await call(request, key, "GET", "/api/v1/webhooks")).body)).not.toContain("whsec_");

    // A key created through the API arrives, signed with the secret shown at creation.
    const before = receiver.received.length;
    const issued = await call(request, key, "POST", "/api/v1/keys", { name: `hooked ${uniq()}` });
    expect(issued.status).toBe(201);
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(before + 1);
    const delivery = receiver.received[before]!;
    expect(verifyStandardWebhook(created.body.secret, delivery.headers, delivery.body)).toBe(true);
    const event = JSON.parse(delivery.body);
    expect(event).toMatchObject({ type: "key.created", data: { key: { id: issued.body.id } } });
    expect(delivery.body).not.toContain(issued.body.key);

    await expect
      .poll(async () => (await call(request, key, "GET", `/api/v1/webhooks/${id}/deliveries`)).body.data[0]?.status, { timeout: 15_000 })
      .toBe("delivered");
    const log = await call(request, key, "GET", `/api/v1/webhooks/${id}/deliveries`, undefined, { limit: "1" });
    expect(log.body.data[0]).toMatchObject({ id: delivery.headers["webhook-id"], eventType: "key.created", attempts: 1, responseStatus: 200 });

    const retry = await call(request, key, "POST", `/api/v1/webhooks/${id}/deliveries/${log.body.data[0].id}/retry`);
    expect(retry.status, retry.text).toBe(202);
    expect(retry.text).toBe("");
    await expect.poll(() => receiver.received.length, { timeout: 15_000 }).toBe(before + 2);
    expect(receiver.received[before + 1]!.headers["webhook-id"]).toBe(delivery.headers["webhook-id"]);

    const rolled = await call(request, key, "POST", `/api/v1/webhooks/${id}/secret`);
    expect(rolled.status).toBe(200);
    expect(Object.keys(rolled.body)).toEqual(["secret"]);
    expect(rolled.body.secret).not.toBe(created.body.secret);

    const disabled = await call(request, key, "PATCH", `/api/v1/webhooks/${id}`, { enabled: false });
    expect(disabled.body).toMatchObject({ enabled: false, disabledReason: "Disabled by a person." });
    const removed = await call(request, key, "DELETE", `/api/v1/webhooks/${id}`);
    expect(removed.status).toBe(204);
    expectError(await call(request, key, "GET", `/api/v1/webhooks/${id}`), 404, "not_found");
  });

  test("bad input is 400 naming the field, and nothing changes", async ({ request }) => {
    const { key } = await rootKey(["webhooks:write"]);
    const db = e2eDb();
    const count = () => db.webhookEndpoint.count();
    const before = await count();
    expectError(await call(request, key, "POST", "/api/v1/webhooks", { url: receiver.url, events: ["key.exploded"] }), 400, "bad_request", "events");
    expectError(await call(request, key, "POST", "/api/v1/webhooks", { url: receiver.url, events: [] }), 400, "bad_request", "events");
    expectError(await call(request, key, "POST", "/api/v1/webhooks", { url: "ftp://example.com/x", events: ["key.created"] }), 400, "bad_request", "url");
    expectError(
      await call(request, key, "POST", "/api/v1/webhooks", { url: receiver.url, events: ["key.created"], secret: "mine" }),
      400,
      "bad_request",
      "secret",
    );
    expectError(await call(request, key, "GET", "/api/v1/webhooks/whk_nope"), 404, "not_found");
    expectError(await call(request, key, "POST", "/api/v1/webhooks/whk_nope/deliveries/whd_nope/retry"), 404, "not_found");
    expectError(await call(request, key, "GET", "/api/v1/webhooks/whk_nope/deliveries", undefined, { limit: "0" }), 400, "bad_request", "limit");
    expect(await count()).toBe(before);
  });

  test("needs webhooks:write, and only a holder of it may hand it on", async ({ request }) => {
    const { key } = await rootKey(["keys:write", "keys:read"]);
    const refused = await call(request, key, "POST", "/api/v1/webhooks", { url: receiver.url, events: ["key.created"] });
    expectError(refused, 403, "insufficient_scope");
    expect(refused.body.error.details.required).toEqual(["webhooks:write"]);
    const escalation = await call(request, key, "POST", "/api/v1/keys", { name: `escalate ${uniq()}`, scopes: ["webhooks:write", "audit:read"] });
    expectError(escalation, 403, "insufficient_scope");
    expect(escalation.body.error.details.required.sort()).toEqual(["audit:read", "webhooks:write"]);
  });
});

test.describe("audit API", () => {
  test("lists with filters and cursor pages, and exports NDJSON", async ({ request }) => {
    const { key, id } = await rootKey(["audit:read", "keys:write"]);
    const names = [uniq(), uniq(), uniq()];
    for (const name of names) expect((await call(request, key, "POST", "/api/v1/keys", { name })).status).toBe(201);

    const first = await call(request, key, "GET", "/api/v1/audit", undefined, { actorType: "key", actorId: id, action: "key.create", limit: "2" });
    expect(first.status, first.text).toBe(200);
    expect(first.body.data.map((entry: { data: { settings: { name: string } } }) => entry.data.settings.name)).toEqual([names[2], names[1]]);
    const second = await call(request, key, "GET", "/api/v1/audit", undefined, { actorId: id, cursor: first.body.nextCursor, limit: "2" });
    expect(second.body.data.map((entry: { data: { settings: { name: string } } }) => entry.data.settings.name)).toEqual([names[0]]);
    expect(second.body.nextCursor).toBeNull();

    const exported = await call(request, key, "GET", "/api/v1/audit/export", undefined, { actorId: id, from: new Date(Date.now() - 60_000).toISOString() });
    expect(exported.status).toBe(200);
    expect(exported.headers["content-type"]).toBe("application/x-ndjson");
    const lines = exported.text
      .trimEnd()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((entry) => entry.data.settings.name)).toEqual(names);
    expect(exported.text).not.toMatch(/kh_(live|test)_[0-9A-Za-z]{38}/);
  });

  test("needs audit:read; bad filters are 400 naming them", async ({ request }) => {
    const { key: without } = await rootKey(["keys:read"]);
    expectError(await call(request, without, "GET", "/api/v1/audit"), 403, "insufficient_scope");
    expectError(await call(request, without, "GET", "/api/v1/audit/export"), 403, "insufficient_scope");
    const { key } = await rootKey(["audit:read"]);
    expectError(await call(request, key, "GET", "/api/v1/audit", undefined, { actorType: "robot" }), 400, "bad_request", "actorType");
    expectError(await call(request, key, "GET", "/api/v1/audit", undefined, { from: "yesterday" }), 400, "bad_request", "from");
    expectError(
      await call(request, key, "GET", "/api/v1/audit/export", undefined, { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }),
      400,
      "bad_request",
      "from",
    );
    expectError(await call(request, key, "GET", "/api/v1/audit", undefined, { cursor: "abc" }), 400, "bad_request", "cursor");
    expectError(await call(request, key, "GET", "/api/v1/audit", undefined, { mystery: "1" }), 400, "bad_request", "mystery");
  });
});
