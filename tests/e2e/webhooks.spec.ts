import { expect, test, type Page } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { createTestUser, signIn } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";
import { captureAction, replayAction } from "../helpers/server-action-replay";
import { verifyStandardWebhook } from "../helpers/standard-webhooks-verifier";
import { startWebhookReceiver, type WebhookReceiver } from "../helpers/webhook-receiver";

// The dashboard's Webhooks page (DESIGN.md section 15.5) as an OWNER uses it: add an endpoint
// and copy its secret (shown once), watch a delivery arrive signed and appear in the log, retry
// it, roll the secret, disable the endpoint. A VIEWER gets a 404, and the server refuses their
// replayed actions. Deliveries go to a real receiver on 127.0.0.1.

const system = { type: "system" as const, id: null };
const uniq = () => Math.random().toString(36).slice(2, 10);
const address = () => `10.${[1, 2, 3].map(() => Math.floor(Math.random() * 254) + 1).join(".")}`;

let receiver: WebhookReceiver;
test.beforeAll(async () => {
  receiver = await startWebhookReceiver();
});
test.afterAll(async () => {
  // Nothing of this file keeps receiving events once its receiver is gone.
  await e2eDb().webhookEndpoint.updateMany({ where: { url: receiver.url }, data: { enabled: false } });
  await receiver?.close();
});

async function open(page: Page, role: "OWNER" | "VIEWER") {
  await page.context().setExtraHTTPHeaders({ "x-forwarded-for": address() });
  const user = await createTestUser(role);
  await signIn(page, user);
  return user;
}

// Only key.created: the expiry job also tells every endpoint about keys that earlier files let
// expire, whenever its run falls inside this test.
async function deliveriesFor(secret: string) {
  return receiver.received.filter(
    (request) => verifyStandardWebhook(secret, request.headers, request.body) && (JSON.parse(request.body) as { type: string }).type === "key.created",
  );
}

test("an OWNER adds an endpoint, sees its secret once, and follows, retries, re-keys and disables its deliveries", async ({ page }) => {
  await open(page, "OWNER");
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" }).click();
  await expect(page.getByRole("heading", { level: 1, name: "Webhooks" })).toBeVisible();

  const description = `e2e ${uniq()}`;
  await page.getByRole("button", { name: "Add endpoint" }).click();
  const dialog = page.getByRole("dialog");
  await dialog.getByLabel("URL").fill(receiver.url);
  await dialog.getByLabel("Description").fill(description);
  await dialog.getByRole("button", { name: "Add endpoint" }).click();
  const secret = (await dialog.getByTestId("revealed-secret").textContent())!.trim();
  expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
  await page.screenshot({ path: "test-results/webhooks-secret-reveal.png" });
  await dialog.getByRole("link", { name: "Open endpoint" }).click();
  await expect(page.getByRole("heading", { level: 1, name: description })).toBeVisible();
  await expect(page.getByText("No deliveries yet.")).toBeVisible();
  // Shown once: nowhere on the endpoint's page.
  expect(await page.content()).not.toContain(secret);
  const endpointId = page.url().split("/").pop()!;

  const { record } = await issueKey(e2eDb(), { name: `hooked ${uniq()}` }, system);
  await expect.poll(async () => (await deliveriesFor(secret)).length, { timeout: 15_000 }).toBe(1);
  const [first] = await deliveriesFor(secret);
  expect(JSON.parse(first!.body)).toMatchObject({ type: "key.created", data: { key: { id: record.id } } });

  await expect
    .poll(
      async () => {
        await page.reload();
        return page.getByRole("region", { name: "Deliveries" }).getByText("delivered").count();
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  const row = page.locator(`tr[data-delivery-id="${first!.headers["webhook-id"]}"]`);
  await expect(row).toContainText("key.created");
  await expect(row.getByRole("cell").nth(2)).toHaveText("1");
  await expect(row.getByRole("cell").nth(3)).toHaveText("200");
  await page.screenshot({ path: "test-results/webhooks-delivery-log.png", fullPage: true });

  await row.getByRole("button", { name: /^Retry/ }).click();
  await expect.poll(async () => (await deliveriesFor(secret)).length, { timeout: 15_000 }).toBe(2);
  expect((await deliveriesFor(secret))[1]!.headers["webhook-id"]).toBe(first!.headers["webhook-id"]);

  await page.getByRole("button", { name: "Roll secret" }).click();
  await page.getByRole("dialog").getByRole("button", { name: "Roll secret" }).click();
  const rolled = (await page.getByRole("dialog").getByTestId("revealed-secret").textContent())!.trim();
  expect(rolled).not.toBe(secret);
  await page.getByRole("dialog").getByRole("button", { name: "Done" }).click();
  await issueKey(e2eDb(), { name: `hooked ${uniq()}` }, system);
  await expect.poll(async () => (await deliveriesFor(rolled)).length, { timeout: 15_000 }).toBe(1);
  expect(await deliveriesFor(secret)).toHaveLength(2);

  await page.getByRole("button", { name: "Disable" }).click();
  await expect(page.getByRole("status").filter({ hasText: "Disabled: it gets no events." })).toBeVisible();
  const before = await e2eDb().webhookDelivery.count({ where: { endpointId } });
  await issueKey(e2eDb(), { name: `unheard ${uniq()}` }, system);
  expect(await e2eDb().webhookDelivery.count({ where: { endpointId } })).toBe(before);
  await page.goto("/webhooks");
  await expect(page.getByRole("region", { name: "Webhook endpoints" }).getByRole("row").filter({ hasText: description })).toContainText("disabled");
});

test("a VIEWER gets a 404 and no link, and the server refuses their replayed webhook actions", async ({ page, browser }) => {
  await open(page, "VIEWER");
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Keys" })).toBeVisible();
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Webhooks" })).toHaveCount(0);
  const response = await page.goto("/webhooks");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("button", { name: "Add endpoint" })).toHaveCount(0);

  const ownerContext = await browser.newContext();
  const owner = await ownerContext.newPage();
  await open(owner, "OWNER");
  await owner.goto("/webhooks");
  const url = `${receiver.url}?viewer=${uniq()}`;
  const create = await captureAction(owner, async () => {
    await owner.getByRole("button", { name: "Add endpoint" }).click();
    await owner.getByRole("dialog").getByLabel("URL").fill(url);
    await owner.getByRole("dialog").getByRole("button", { name: "Add endpoint" }).click();
  });
  const db = e2eDb();
  const audits = await db.auditLog.count({ where: { action: { startsWith: "webhook." } } });
  expect(await replayAction(page, create)).toMatchObject({ ok: false, error: "Managing webhooks needs an OWNER or ADMIN, or a key with webhooks:write." });
  expect(await db.webhookEndpoint.count({ where: { url } })).toBe(0);
  expect(await db.auditLog.count({ where: { action: { startsWith: "webhook." } } })).toBe(audits);
  // The same request from the OWNER's session works: the refusal was the role's.
  expect(await replayAction(owner, create)).toMatchObject({ ok: true });
  expect(await db.webhookEndpoint.count({ where: { url } })).toBe(1);
  await ownerContext.close();
});

test("the audit page exports what its filters show as NDJSON", async ({ page }) => {
  await open(page, "VIEWER");
  const { record } = await issueKey(e2eDb(), { name: `audited ${uniq()}` }, system);
  await page.goto(`/audit?targetId=${record.id}`);
  const download = page.waitForEvent("download");
  await page.getByRole("link", { name: "Export NDJSON" }).click();
  const file = await (await download).createReadStream();
  let text = "";
  for await (const chunk of file) text += chunk;
  const lines = text
    .trimEnd()
    .split("\n")
    .map((line) => JSON.parse(line));
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({ action: "key.create", targetId: record.id, actorType: "system" });
});
