import { randomBytes } from "node:crypto";

import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";
import pg from "pg";

import { issueKey, revokeKey } from "../../lib/keys/service";
import { createScope } from "../../lib/scopes/service";
import { createTestUser, signIn, type TestUser } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";
import { startFreshServer, type FreshServer } from "../helpers/fresh-server";

// The admin dashboard as an OWNER uses it, in the browser, against the production build.

const system = { type: "system" as const, id: null };
const KEY_PATTERN = /^kh_(live|test)_[0-9A-Za-z]{38}$/;

// The e2e server trusts X-Forwarded-For from loopback: each test speaks from an address of its own, so
// the invalid-key throttle of another spec file cannot refuse it.
function address(): string {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}

function tag(): string {
  return randomBytes(4).toString("hex");
}

async function whoami(request: APIRequestContext, key: string, ip = address()) {
  const response = await request.get("/api/v1/whoami", { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip } });
  return { status: response.status(), body: await response.json() };
}

/** Reloads until the check passes: usage reaches the rollups through a buffer flushed every second. */
async function eventually(page: Page, check: () => Promise<void>) {
  await expect(async () => {
    await page.reload();
    await check();
  }).toPass({ timeout: 15_000, intervals: [500, 1000] });
}

/** The value next to a label in a key page's details list. */
function detail(page: Page, label: string): Locator {
  return page
    .locator("dl > div")
    .filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) })
    .locator("dd");
}

async function focusIsInside(dialog: Locator): Promise<boolean> {
  return dialog.evaluate((element) => element.contains(document.activeElement) && document.activeElement !== element);
}

async function newScope(prefix = "orders"): Promise<string> {
  const name = `${prefix}${tag()}:read`;
  await createScope(e2eDb(), { name, description: `Read ${prefix}` }, system);
  return name;
}

test.describe("first run", () => {
  test.describe.configure({ mode: "serial" });
  let server: FreshServer;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    server = await startFreshServer(3141);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("with no users, / leads to /setup, which needs the printed link, creates the OWNER once and is then gone", async ({ page }) => {
    await page.goto(`${server.baseUrl}/`);
    await expect(page).toHaveURL(`${server.baseUrl}/setup`);
    await expect(page.getByRole("heading", { name: "Welcome to Keyhold" })).toBeVisible();
    // Whoever reaches a fresh instance first gets no form without the link the server printed.
    await expect(page.getByText(/open the setup link the server printed/)).toBeVisible();
    await expect(page.getByLabel("Email")).toHaveCount(0);
    await page.goto(`${server.baseUrl}/setup?token=guessed-token-of-the-right-length`);
    await expect(page.getByLabel("Email")).toHaveCount(0);
    // Signing in is pointless before an account exists.
    await page.goto(`${server.baseUrl}/login`);
    await expect(page).toHaveURL(`${server.baseUrl}/setup`);
    await page.goto(server.setupUrl);

    const email = "owner@example.com";
    const password = "correct horse battery";
    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Name").fill("Olive Owner");
    await page.getByLabel("Password", { exact: true }).fill("short-11chr");
    await page.getByLabel("Repeat the password").fill("short-11chr");
    await page.getByRole("button", { name: "Create owner account" }).click();
    // The browser refuses a password under 12 characters before anything is sent.
    expect(await page.getByLabel("Password", { exact: true }).evaluate((input: HTMLInputElement) => input.validity.tooShort)).toBe(true);
    await expect(page).toHaveURL(server.setupUrl);

    await page.getByLabel("Password", { exact: true }).fill(password);
    await page.getByLabel("Repeat the password").fill(`${password}!`);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page.getByText("Does not match the password.")).toBeVisible();
    await expect(page).toHaveURL(server.setupUrl);
    // A refused form keeps what was typed.
    await expect(page.getByLabel("Email")).toHaveValue(email);
    await expect(page.getByLabel("Password", { exact: true })).toHaveValue(password);

    await page.getByLabel("Repeat the password").fill(password);
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page).toHaveURL(`${server.baseUrl}/login?setup=done`);
    await expect(page.getByText("Your owner account is ready")).toBeVisible();

    const gone = await page.request.get(`${server.baseUrl}/setup`);
    expect(gone.status()).toBe(404);
    expect((await page.request.get(server.setupUrl)).status()).toBe(404);

    await page.getByLabel("Email").fill(email);
    await page.getByLabel("Password").fill(password);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${server.baseUrl}/`);
    await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
    await expect(page.getByText("owner@example.com")).toBeVisible();
    await expect(page.getByText("owner", { exact: true })).toBeVisible();

    // A new installation: every page says it is empty instead of showing bare tables.
    await expect(page.getByText("No keys expire in the next 7 days.")).toBeVisible();
    await expect(page.getByText("No requests recorded yet.")).toBeVisible();
    await expect(page.getByText("No requests in this range.")).toBeVisible();
    await page.goto(`${server.baseUrl}/keys`);
    await expect(page.getByText("No keys yet.")).toBeVisible();
    await page.goto(`${server.baseUrl}/scopes`);
    await expect(page.getByText("The catalogue is empty.")).toBeVisible();
    await page.goto(`${server.baseUrl}/usage`);
    await expect(page.getByText("No key was used in this range.")).toBeVisible();
    await expect(page.getByText("No invalid keys were sent in this range.")).toBeVisible();

    // A second owner cannot be made through the setup action either.
    await page.goto(`${server.baseUrl}/setup`);
    await expect(page.getByText(/could not be found|not found/i).first()).toBeVisible();
  });

  test("a page whose data cannot be read shows an error with a retry, and no internals", async ({ page }) => {
    await page.goto(`${server.baseUrl}/login`);
    await page.getByLabel("Email").fill("owner@example.com");
    await page.getByLabel("Password").fill("correct horse battery");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${server.baseUrl}/`);

    // Only this server's private database is touched: the table behind the usage page's chart
    // (the all-keys hourly counts) vanishes for a moment.
    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await client.query("ALTER TABLE usage_hours RENAME TO usage_hours_away");
      await page.goto(`${server.baseUrl}/usage`);
      const alert = page.getByRole("alert").filter({ hasText: "Something went wrong" });
      await expect(alert).toBeVisible();
      await expect(alert).not.toContainText(/usage_hours|prisma|select|stack/i);
      // The navigation stays, so the rest of the dashboard is one click away.
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
      await client.query("ALTER TABLE usage_hours_away RENAME TO usage_hours");
      await alert.getByRole("button", { name: "Try again" }).click();
      await expect(page.getByRole("heading", { name: "Usage", level: 1 })).toBeVisible();
      await expect(alert).toBeHidden();
    } finally {
      await client.query("ALTER TABLE IF EXISTS usage_hours_away RENAME TO usage_hours").catch(() => undefined);
      await client.end();
    }
  });
});

test.describe("signed in as an owner", () => {
  let owner: TestUser;

  test.beforeAll(async () => {
    owner = await createTestUser("OWNER");
  });
  test.beforeEach(async ({ page }) => {
    await signIn(page, owner);
  });

  test("a key created in the browser, used with whoami, seen in the usage chart, rotated, revoked and then refused", async ({
    page,
    context,
    request,
    baseURL,
  }) => {
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: baseURL });
    const scope = await newScope();
    const name = `Billing ${tag()}`;
    const ip = address();

    await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Keys" }).click();
    await page.getByRole("link", { name: "New key" }).click();
    await expect(page).toHaveURL(/\/keys\/new$/);
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Owner").fill("cus_billing");
    await page.getByLabel("Environment").selectOption("test");
    await page.getByRole("checkbox", { name: new RegExp(scope) }).check();
    await page.getByLabel("Expires").selectOption({ label: "In 90 days" });
    await page.getByLabel("Rate limit", { exact: true }).fill("100");
    await page.getByLabel("Rate limit window, in seconds").fill("60");
    await page.getByLabel("Quota").fill("1000");
    await page.getByLabel("Metadata (JSON object)").fill('{"plan": "pro"}');
    await page.getByRole("button", { name: "Create key" }).click();

    // The one-time reveal: the key, a warning, a copy button and a curl command for whoami.
    const reveal = page.getByRole("region", { name: "Copy this key now. It will not be shown again.", exact: true });
    await expect(reveal).toBeVisible();
    await expect(page.getByText("Key created")).toBeVisible();
    const key = (await page.getByTestId("revealed-key").textContent())!.trim();
    expect(key).toMatch(KEY_PATTERN);
    expect(key.startsWith("kh_test_")).toBe(true);
    await expect(reveal).toContainText(`curl -H "Authorization: Bearer ${key}" ${baseURL}/api/v1/whoami`);
    await reveal.getByRole("button", { name: "Copy key" }).click();
    await expect(reveal.getByRole("button", { name: "Copied" })).toBeVisible();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key);

    const record = await e2eDb().apiKey.findFirstOrThrow({ where: { name } });
    expect(record).toMatchObject({
      ownerId: "cus_billing",
      environment: "test",
      scopes: [scope],
      ratelimitLimit: 100,
      ratelimitWindowMs: 60_000,
      remaining: 1000,
      meta: { plan: "pro" },
    });
    expect(record.expiresAt!.getTime() - Date.now()).toBeGreaterThan(89 * 86_400_000);

    for (let i = 0; i < 3; i++) {
      const result = await whoami(request, key, ip);
      expect(result.status).toBe(200);
      expect(result.body).toMatchObject({ keyId: record.id, name, ownerId: "cus_billing", environment: "test", scopes: [scope] });
    }

    await reveal.getByRole("link", { name: "I have stored it: open the key" }).click();
    await expect(page).toHaveURL(new RegExp(`/keys/${record.id}$`));
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    // The plaintext is gone for good once the reveal is left.
    await expect(page.getByText(key)).toHaveCount(0);
    const chart = page.getByRole("figure", { name: /Requests with this key in the last 24 hours/ });
    await eventually(page, async () => {
      await expect(chart).toContainText("3 requests, valid 3", { timeout: 1_000 });
    });
    await expect(chart.locator(".recharts-bar-rectangle").first()).toBeVisible();
    await expect(page.getByRole("region", { name: "Recent requests", exact: true }).getByRole("row")).toHaveCount(4);

    // Rotate with a one-hour grace period: a new key is revealed once, the old one keeps working.
    await page.getByRole("button", { name: "Rotate" }).click();
    const rotate = page.getByRole("dialog", { name: `Rotate ${name}` });
    await rotate.getByLabel("Grace period").selectOption({ label: "1 hour" });
    await rotate.getByRole("button", { name: "Rotate key" }).click();
    await expect(page.getByText("Key rotated")).toBeVisible();
    const newKey = (await rotate.getByTestId("revealed-key").textContent())!.trim();
    expect(newKey).toMatch(KEY_PATTERN);
    expect(newKey).not.toBe(key);
    await expect(rotate).toContainText(`Bearer ${newKey}`);
    expect((await whoami(request, key, ip)).status).toBe(200);
    expect((await whoami(request, newKey, ip)).status).toBe(200);
    await expect(rotate.getByRole("heading", { name: /Copy this key now/ })).toBeFocused();
    await page.keyboard.press("Escape");
    await expect(rotate).toBeHidden();

    // The old key's page says it stops soon and whether anything still uses it.
    const notice = page.getByText(/This key was rotated and stops working/);
    await expect(notice).toContainText("in 1 hour");
    await expect(notice).toContainText(/It is still in use: [1-9]\d* successful requests in the last hour/);
    const successor = await e2eDb().apiKey.findFirstOrThrow({ where: { rotatedFromId: record.id } });
    const history = page.getByRole("region", { name: "Rotation history", exact: true });
    await expect(history).toContainText(`Replaced by ${successor.start}…`);
    await expect(page.getByRole("region", { name: "Audit trail", exact: true })).toContainText("key.rotate");

    await history.getByRole("link", { name: `${successor.start}…` }).click();
    await expect(page).toHaveURL(new RegExp(`/keys/${successor.id}$`));
    await expect(page.getByRole("region", { name: "Rotation history", exact: true })).toContainText(`Replaces ${record.start}…`);
    await expect(page.getByText(/This key was rotated/)).toHaveCount(0);

    // Revoke the new key: the button waits until the key's name is typed exactly.
    await page.getByRole("button", { name: "Revoke", exact: true }).click();
    const revoke = page.getByRole("dialog", { name: `Revoke ${name}` });
    const confirm = revoke.getByRole("button", { name: "Revoke key" });
    await expect(confirm).toBeDisabled();
    await revoke.getByLabel(/Type the key's name/).fill(name.toLowerCase());
    await expect(confirm).toBeDisabled();
    await revoke.getByLabel(/Type the key's name/).fill(name);
    await revoke.getByLabel("Reason (optional)").fill("Rotated out in a drill");
    await confirm.click();
    await expect(page.getByText("Key revoked")).toBeVisible();
    await expect(revoke).toBeHidden();
    await expect(detail(page, "Status")).toHaveText("revokedRotated out in a drill");
    await expect(page.getByRole("button", { name: "Rotate" })).toHaveCount(0);

    const refused = await whoami(request, newKey, ip);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("revoked_key");
    await expect(page.getByRole("region", { name: "Audit trail", exact: true })).toContainText("key.revoke");
  });

  test("rotating with no grace period ends the old key at once; a custom grace period is in hours", async ({ page, request }) => {
    const name = `Now ${tag()}`;
    const { key, record } = await issueKey(e2eDb(), { name }, system);
    await page.goto(`/keys/${record.id}`);
    await page.getByRole("button", { name: "Rotate" }).click();
    const rotate = page.getByRole("dialog", { name: `Rotate ${name}` });
    await expect(rotate.getByLabel("Grace period")).toHaveValue("none");
    await rotate.getByRole("button", { name: "Rotate key" }).click();
    await expect(rotate.getByTestId("revealed-key")).toHaveText(KEY_PATTERN);
    const refused = await whoami(request, key);
    expect(refused.status).toBe(401);
    expect(refused.body.error.code).toBe("expired_key");
    await page.keyboard.press("Escape");
    await expect(detail(page, "Status")).toHaveText("expired");
    await expect(page.getByText(/This key was rotated/)).toHaveCount(0);

    const custom = await issueKey(e2eDb(), { name: `Custom ${tag()}` }, system);
    await page.goto(`/keys/${custom.record.id}`);
    await page.getByRole("button", { name: "Rotate" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Grace period").selectOption("custom");
    await dialog.getByLabel("Hours").fill("2");
    const before = Date.now();
    await dialog.getByRole("button", { name: "Rotate key" }).click();
    await expect(dialog.getByTestId("revealed-key")).toBeVisible();
    const old = await e2eDb().apiKey.findUniqueOrThrow({ where: { id: custom.record.id } });
    expect(old.expiresAt!.getTime() - before).toBeGreaterThan(2 * 3_600_000 - 60_000);
    expect(old.expiresAt!.getTime() - before).toBeLessThan(2 * 3_600_000 + 60_000);
    expect((await whoami(request, custom.key)).status).toBe(200);
    await page.keyboard.press("Escape");
    await expect(page.getByText(/This key was rotated and stops working in 2 hours/)).toBeVisible();
    await expect(page.getByText("No successful requests in the last hour")).toBeVisible();
  });

  test("editing a key: name, scopes, limits and metadata, with the JSON checked before saving", async ({ page }) => {
    const [first, second] = [await newScope("invoices"), await newScope("refunds")];
    const name = `Edit me ${tag()}`;
    const { record } = await issueKey(e2eDb(), { name, scopes: [first], meta: { team: "a" } }, system);
    await page.goto(`/keys/${record.id}`);
    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    await expect(dialog.getByLabel("Name")).toHaveValue(name);
    await expect(dialog.getByRole("checkbox", { name: first })).toBeChecked();

    const renamed = `${name} (renamed)`;
    await dialog.getByLabel("Name").fill(renamed);
    await dialog.getByRole("checkbox", { name: first }).uncheck();
    await dialog.getByRole("checkbox", { name: second }).check();
    await dialog.getByLabel("Rate limit", { exact: true }).fill("10");
    await dialog.getByLabel("Rate limit window, in seconds").fill("60");
    await dialog.getByLabel("Quota left").fill("50");
    const meta = dialog.getByLabel("Metadata (JSON object)");
    await meta.fill('{"team": "b",}');
    await expect(dialog.getByText("Not valid JSON.")).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Save" })).toBeDisabled();
    await meta.fill('["team"]');
    await expect(dialog.getByText("Must be a JSON object.")).toBeVisible();
    await expect(dialog.getByRole("button", { name: "Save" })).toBeDisabled();
    await meta.fill('{"team": "b"}');
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Key updated")).toBeVisible();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("heading", { name: renamed, level: 1 })).toBeVisible();
    await expect(detail(page, "Rate limit")).toHaveText("10 per 60 s");
    await expect(detail(page, "Quota left")).toHaveText("50");

    const updated = await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } });
    expect(updated).toMatchObject({ name: renamed, scopes: [second], ratelimitLimit: 10, ratelimitWindowMs: 60_000, remaining: 50, meta: { team: "b" } });
    await expect(page.getByRole("region", { name: "Audit trail", exact: true })).toContainText("key.update");
  });

  test("the create form checks metadata JSON before submitting, and shows the server's field errors", async ({ page }) => {
    await page.goto("/keys/new");
    const create = page.getByRole("button", { name: "Create key" });
    await page.getByLabel("Name").fill(`Bad meta ${tag()}`);
    const meta = page.getByLabel("Metadata (JSON object)");
    await meta.fill("{plan: pro}");
    await expect(page.getByText("Not valid JSON.")).toBeVisible();
    await expect(meta).toHaveAttribute("aria-invalid", "true");
    await expect(create).toBeDisabled();
    await meta.fill("42");
    await expect(page.getByText(/Must be a JSON object/)).toBeVisible();
    await expect(create).toBeDisabled();
    await meta.fill("");
    await expect(create).toBeEnabled();

    // A name of spaces passes the browser's "required" but not the server.
    await page.getByLabel("Owner").fill("cus_kept");
    await page.getByLabel("Name").fill("   ");
    await create.click();
    await expect(page.getByText("Some fields are not valid.")).toBeVisible();
    await expect(page.getByRole("alert").filter({ hasText: /too small|at least/i })).toBeVisible();
    await expect(page.getByLabel("Owner")).toHaveValue("cus_kept");
    await expect(page.getByTestId("revealed-key")).toHaveCount(0);

    await page.getByLabel("Expires").selectOption({ label: "On a date…" });
    await page.getByLabel("Expiry date").fill("2001-01-01");
    await page.getByLabel("Name").fill(`Past ${tag()}`);
    await create.click();
    await expect(page.getByText("Pick a date in the future.")).toBeVisible();
    await expect(page.getByTestId("revealed-key")).toHaveCount(0);
  });

  test("the keys table: search, filters and pages live in the URL; status badges and last use", async ({ page, request }) => {
    const run = tag();
    const owner = `team_${run}`;
    const scope = await newScope("ledger");
    const keys = [];
    // Twenty-seven keys: more than one page of 25.
    for (let i = 0; i < 27; i++) {
      keys.push(
        await issueKey(
          e2eDb(),
          { name: `k${run}-${String(i).padStart(2, "0")}`, ownerId: owner, environment: i % 3 === 0 ? "test" : "live", scopes: i % 2 === 0 ? [scope] : [] },
          system,
        ),
      );
    }
    const [revoked, expired, expiring, used] = [keys[26]!, keys[25]!, keys[24]!, keys[23]!];
    await revokeKey(e2eDb(), revoked.record.id, "test", system);
    await e2eDb().apiKey.update({ where: { id: expired.record.id }, data: { expiresAt: new Date(Date.now() - 60_000) } });
    await e2eDb().apiKey.update({ where: { id: expiring.record.id }, data: { expiresAt: new Date(Date.now() + 2 * 86_400_000) } });
    expect((await whoami(request, used.key)).status).toBe(200);

    await page.goto("/keys");
    const filters = page.getByRole("search", { name: "Filter keys" });
    await filters.getByLabel("Owner").fill(owner);
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(new RegExp(`ownerId=${owner}`));
    const rows = page.locator("tbody tr");
    await expect(rows).toHaveCount(25);
    // Newest first.
    await expect(rows.first()).toContainText(`k${run}-26`);
    const row = (index: number) => rows.filter({ hasText: `k${run}-${String(index).padStart(2, "0")}` });
    await expect(row(26)).toContainText("revoked");
    await expect(row(25)).toContainText("expired");
    await expect(row(24)).toContainText("expiring soon");
    await expect(row(22)).toContainText("active");
    await expect(row(22)).toContainText("never");
    await eventually(page, async () => {
      await expect(row(23).locator("td").nth(5)).toHaveText(/just now|1 minute ago/, { timeout: 1_000 });
    });

    await page.getByRole("link", { name: "Next page" }).click();
    await expect(page).toHaveURL(/cursor=/);
    await expect(page).toHaveURL(new RegExp(`ownerId=${owner}`));
    await expect(rows).toHaveCount(2);
    await expect(row(0)).toHaveCount(1);
    await expect(row(1)).toHaveCount(1);
    await expect(page.getByRole("link", { name: "Next page" })).toHaveCount(0);
    // The URL alone restores the page: reloading shows the same rows.
    await page.reload();
    await expect(rows).toHaveCount(2);
    await page.getByRole("link", { name: "First page" }).click();
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(rows).toHaveCount(25);

    await filters.getByLabel("Status").selectOption("revoked");
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/status=revoked/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`k${run}-26`);

    // Opening a shared link fills the form from the URL.
    await page.goto(`/keys?ownerId=${owner}&environment=test&scope=${encodeURIComponent(scope)}&status=active`);
    await expect(filters.getByLabel("Owner")).toHaveValue(owner);
    await expect(filters.getByLabel("Environment")).toHaveValue("test");
    await expect(filters.getByLabel("Scope")).toHaveValue(scope);
    await expect(filters.getByLabel("Status")).toHaveValue("active");
    // Test keys (every third) with the scope (every second) that are active; 24 expires soon but has not.
    await expect(rows).toHaveCount(5);
    for (const index of [0, 6, 12, 18, 24]) await expect(row(index)).toHaveCount(1);

    await page.goto("/keys");
    await filters.getByLabel("Search by name or key start").fill(`k${run}-1`);
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(new RegExp(`q=k${run}-1`));
    await expect(rows).toHaveCount(10);
    await filters.getByLabel("Search by name or key start").fill(used.record.start);
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toContainText(`k${run}-23`);

    await page.goto(`/keys?ownerId=nobody_${run}`);
    await expect(page.getByText("No keys match these filters.")).toBeVisible();
    await page.getByRole("link", { name: "Clear the filters" }).click();
    await expect(page).toHaveURL(/\/keys$/);

    // An edited link with a mangled cursor shows the first page, not an error.
    await page.goto(`/keys?ownerId=${owner}&cursor=not-a-cursor`);
    await expect(rows).toHaveCount(25);
  });

  test("overview: active keys, 24-hour traffic, keys expiring within 7 days, recent denials", async ({ page, request }) => {
    const name = `Expiring ${tag()}`;
    // Sooner than any other test's key, so it is among the ten listed.
    const { key, record } = await issueKey(e2eDb(), { name, expiresAt: new Date(Date.now() + 20 * 3_600_000) }, system);
    const ip = address();
    expect((await whoami(request, key, ip)).status).toBe(200);
    expect((await whoami(request, "kh_live_thisisnotarealkeyatall0000000000000", ip)).status).toBe(401);
    const active = await e2eDb().apiKey.count({ where: { revokedAt: null, OR: [{ expiresAt: null }, { expiresAt: { gt: new Date() } }] } });

    await page.goto("/");
    await expect(page.getByRole("heading", { name: "Overview", level: 1 })).toBeVisible();
    await expect(page.getByText("Active keys").locator("xpath=following-sibling::p[1]")).toHaveText(active.toLocaleString("en"));
    const expiring = page.getByRole("region", { name: "Expiring in the next 7 days", exact: true });
    const item = expiring.getByRole("listitem").filter({ hasText: name });
    await expect(item).toContainText("expiring soon");
    await expect(item).toContainText("in 20 hours");
    await item.getByRole("link").click();
    await expect(page).toHaveURL(new RegExp(`/keys/${record.id}$`));

    await page.goto("/");
    await eventually(page, async () => {
      const denied = page.getByRole("region", { name: "Recent denied requests", exact: true });
      await expect(denied.getByRole("row").filter({ hasText: ip }).first()).toContainText("invalid_key", { timeout: 1_000 });
    });
    const chart = page.getByRole("figure", { name: "Requests in the last 24 hours by outcome" });
    await expect(chart).toContainText(/invalid_key [1-9]/);
    await expect(chart).toContainText(/valid [1-9]/);
    expect(Number((await page.getByText("Denied, 24 h").locator("xpath=following-sibling::p[1]").textContent())!.replace(/,/g, ""))).toBeGreaterThan(0);
  });

  test("scopes: add, edit and key counts", async ({ page }) => {
    const name = `shipments${tag()}:write`;
    await page.goto("/scopes");
    await page.getByRole("button", { name: "Add scope" }).click();
    const add = page.getByRole("dialog", { name: "Add a scope" });
    await add.getByLabel("Name").fill("Not A Scope");
    await add.getByRole("button", { name: "Add scope" }).click();
    // The pattern is checked by the browser first: nothing is sent.
    expect(await add.getByLabel("Name").evaluate((input: HTMLInputElement) => input.validity.patternMismatch)).toBe(true);
    await add.getByLabel("Name").fill(name);
    await add.getByLabel("Description").fill("Create shipments");
    await add.getByRole("button", { name: "Add scope" }).click();
    await expect(page.getByText(`Scope ${name} added`)).toBeVisible();
    await expect(add).toBeHidden();
    const row = page.getByRole("row").filter({ hasText: name });
    await expect(row).toContainText("Create shipments");
    await expect(row.getByRole("link")).toHaveText("0");

    // The same name again is a conflict, shown as a toast; the dialog stays for a fix.
    await page.getByRole("button", { name: "Add scope" }).click();
    await add.getByLabel("Name").fill(name);
    await add.getByRole("button", { name: "Add scope" }).click();
    await expect(page.getByText(`The scope ${name} exists already.`)).toBeVisible();
    await expect(add).toBeVisible();
    await expect(add.getByLabel("Name")).toHaveValue(name);
    await page.keyboard.press("Escape");

    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit ${name}` });
    await edit.getByLabel("Description").fill("Create and cancel shipments");
    await edit.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Scope updated")).toBeVisible();
    await expect(row).toContainText("Create and cancel shipments");

    // Counts hold keys that are not revoked.
    await issueKey(e2eDb(), { name: `with ${name}`, scopes: [name] }, system);
    const gone = await issueKey(e2eDb(), { name: `revoked with ${name}`, scopes: [name] }, system);
    await revokeKey(e2eDb(), gone.record.id, null, system);
    await page.reload();
    await expect(row.getByRole("link")).toHaveText("1");
    await row.getByRole("link").click();
    await expect(page).toHaveURL(`/keys?scope=${encodeURIComponent(name)}`);
    await expect(page.getByRole("search", { name: "Filter keys" }).getByLabel("Scope")).toHaveValue(name);
    await expect(page.locator("tbody tr")).toHaveCount(2);
  });

  test("a form whose request never gets an answer says so, keeps what was typed and can be sent again", async ({ page }) => {
    const name = `lost${tag()}:read`;
    await page.goto("/scopes");
    await page.getByRole("button", { name: "Add scope" }).click();
    const add = page.getByRole("dialog", { name: "Add a scope" });
    await add.getByLabel("Name").fill(name);
    // The connection drops on the way to the server action.
    await page.route("**/scopes", (route) => (route.request().headers()["next-action"] ? route.abort("connectionreset") : route.continue()));
    await add.getByRole("button", { name: "Add scope" }).click();
    await expect(page.getByText("Could not reach Keyhold. Check the connection and try again.")).toBeVisible();
    await expect(add.getByRole("button", { name: "Add scope" })).toBeEnabled();
    await expect(add.getByLabel("Name")).toHaveValue(name);
    expect(await e2eDb().scope.count({ where: { name } })).toBe(0);

    await page.unrouteAll();
    await add.getByRole("button", { name: "Add scope" }).click();
    await expect(page.getByText(`Scope ${name} added`)).toBeVisible();
    expect(await e2eDb().scope.count({ where: { name } })).toBe(1);
  });

  test("usage: ranges, outcomes, top keys, top paths and invalid-key attempts by address", async ({ page, request }) => {
    const name = `Busy ${tag()}`;
    // The tables rank the top ten of a database every spec file writes to: this key and this
    // address are busier than anything else there (20 invalid keys is the most a minute allows).
    // An hour's window: a sliding window that the bursts straddle would weigh the first part and
    // refuse a request or two more or fewer than twenty.
    const { key, record } = await issueKey(e2eDb(), { name, ratelimit: { limit: 100, windowMs: 3_600_000 } }, system);
    const ip = address();
    const attacker = address();
    for (let i = 0; i < 120; i += 20) await Promise.all(Array.from({ length: 20 }, () => whoami(request, key, ip)));
    for (let i = 0; i < 20; i++) expect((await whoami(request, `kh_live_${"x".repeat(38)}`, attacker)).status).toBe(401);

    await page.goto("/usage");
    await expect(page.getByRole("link", { name: "24 hours" })).toHaveAttribute("aria-current", "true");
    const topKeys = page.getByRole("region", { name: "Top keys", exact: true });
    const attempts = page.getByRole("region", { name: "Invalid-key attempts by address", exact: true });
    // The recorder flushes in batches, so a first render can hold part of the events: reload
    // until every one of them is counted.
    await eventually(page, async () => {
      await expect(topKeys.getByRole("row").filter({ hasText: name }).getByRole("cell")).toHaveText([new RegExp(name), "120", "20"], { timeout: 1_000 });
      await expect(attempts.getByRole("row").filter({ hasText: attacker }).getByRole("cell").nth(1)).toHaveText("20", { timeout: 1_000 });
    });
    await expect(page.getByRole("region", { name: "Top paths", exact: true })).toContainText("GET /api/v1/whoami");
    await expect(page.getByRole("figure", { name: "Requests in the last 24 hours by outcome" })).toContainText(/rate_limited [1-9]/);

    await page.getByRole("link", { name: "1 hour" }).click();
    await expect(page).toHaveURL(/range=1h/);
    await expect(page.getByRole("link", { name: "1 hour" })).toHaveAttribute("aria-current", "true");
    await expect(page.getByRole("figure", { name: "Requests in the last 1 hour by outcome" })).toBeVisible();
    await page.getByRole("link", { name: "30 days" }).click();
    await expect(page).toHaveURL(/range=30d/);
    await expect(page.getByText("Every verification in the last 30 days.")).toBeVisible();

    await topKeys.getByRole("link", { name: new RegExp(name) }).click();
    await expect(page).toHaveURL(new RegExp(`/keys/${record.id}$`));
    for (const [range, label] of [
      ["7d", "7 days"],
      ["30d", "30 days"],
    ] as const) {
      await page.getByRole("navigation", { name: "Usage range" }).getByRole("link", { name: label }).click();
      await expect(page).toHaveURL(new RegExp(`range=${range}`));
      await expect(page.getByRole("figure", { name: `Requests with this key in the last ${label}, by outcome` })).toContainText(
        "120 requests, valid 100, rate_limited 20",
      );
    }
  });

  test("a key id that does not exist, or is not a key id, is a 404 page with a way back", async ({ page }) => {
    for (const id of ["key_0000000000000000000000", "not-a-key"]) {
      const response = await page.goto(`/keys/${id}`);
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      await expect(page.getByRole("main").getByRole("link", { name: "All keys" })).toBeVisible();
    }
  });

  test("audit log: filter by actor, action and target", async ({ page }) => {
    const scope = `audited${tag()}:read`;
    await page.goto("/scopes");
    await page.getByRole("button", { name: "Add scope" }).click();
    await page.getByRole("dialog").getByLabel("Name").fill(scope);
    await page.getByRole("dialog").getByRole("button", { name: "Add scope" }).click();
    await expect(page.getByText(`Scope ${scope} added`)).toBeVisible();
    const { record } = await issueKey(e2eDb(), { name: `Audited ${tag()}` }, system);
    await revokeKey(e2eDb(), record.id, "audit test", system);

    await page.goto("/audit");
    const filters = page.getByRole("search", { name: "Filter the audit log" });
    await filters.getByLabel("Target id").fill(record.id);
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(new RegExp(`targetId=${record.id}`));
    const rows = page.locator("tbody tr");
    await expect(rows).toHaveCount(2);
    await expect(rows.nth(0)).toContainText("key.revoke");
    await expect(rows.nth(0)).toContainText("audit test");
    await expect(rows.nth(1)).toContainText("key.create");

    await filters.getByLabel("Action").fill("key.revoke");
    await filters.getByRole("button", { name: "Filter" }).click();
    await expect(page).toHaveURL(/action=key\.revoke/);
    await expect(rows).toHaveCount(1);
    await expect(rows.first().getByRole("link", { name: record.id })).toHaveAttribute("href", `/keys/${record.id}`);

    await page.goto(`/audit?actorType=user&actorId=${owner.id}`);
    await expect(filters.getByLabel("Actor type")).toHaveValue("user");
    await expect(filters.getByLabel("Actor id")).toHaveValue(owner.id);
    await expect(rows.filter({ hasText: "scope.create" }).filter({ hasText: scope })).toHaveCount(1);
    await expect(rows.filter({ hasNotText: owner.id })).toHaveCount(0);

    await page.goto(`/audit?actorType=system&targetType=key&action=key.create`);
    await expect(filters.getByLabel("Target type")).toHaveValue("key");
    await expect(rows.filter({ hasText: record.id })).toHaveCount(1);
    await expect(rows.filter({ hasText: "scope." })).toHaveCount(0);

    await page.goto(`/audit?action=no.such.action`);
    await expect(page.getByText("No entries match these filters.")).toBeVisible();
    await page.goto(`/audit?cursor=99999999999999999999999`);
    await expect(page.getByRole("heading", { name: "Audit log", level: 1 })).toBeVisible();
  });

  test("audit log pages: older entries under the same filters, and back to the newest", async ({ page }) => {
    const admin = await createTestUser("ADMIN");
    const actor = { type: "user" as const, id: admin.id, role: "ADMIN" as const };
    // One page is 50 entries: 55 changes by one user make a second page of 5.
    for (let i = 0; i < 55; i++) await issueKey(e2eDb(), { name: `Paged ${i}` }, actor);

    await page.goto(`/audit?actorType=user&actorId=${admin.id}`);
    const rows = page.locator("tbody tr");
    await expect(rows).toHaveCount(50);
    await expect(rows.first()).toContainText("Paged 54");
    await expect(page.getByRole("link", { name: "Newest" })).toHaveCount(0);
    await page.getByRole("link", { name: "Older" }).click();
    await expect(page).toHaveURL(/cursor=\d+/);
    await expect(page).toHaveURL(new RegExp(`actorId=${admin.id}`));
    await expect(rows).toHaveCount(5);
    await expect(rows.last()).toContainText("Paged 0");
    await expect(page.getByRole("link", { name: "Older" })).toHaveCount(0);
    await page.getByRole("link", { name: "Newest" }).click();
    await expect(page).not.toHaveURL(/cursor=/);
    await expect(page).toHaveURL(new RegExp(`actorId=${admin.id}`));
    await expect(rows).toHaveCount(50);
  });

  test("dialogs keep focus inside while open, close with Escape and give focus back", async ({ page }) => {
    await page.goto("/scopes");
    const opener = page.getByRole("button", { name: "Add scope" });
    await opener.click();
    const dialog = page.getByRole("dialog", { name: "Add a scope" });
    await expect(dialog).toBeVisible();
    expect(await focusIsInside(dialog)).toBe(true);
    // More presses than the dialog has controls, both ways round.
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Tab");
      expect(await focusIsInside(dialog)).toBe(true);
    }
    for (let i = 0; i < 8; i++) {
      await page.keyboard.press("Shift+Tab");
      expect(await focusIsInside(dialog)).toBe(true);
    }
    await page.keyboard.press("Escape");
    await expect(dialog).toBeHidden();
    await expect(opener).toBeFocused();
    // Closing by Escape then opening again works: the state followed the native close.
    await opener.click();
    await expect(dialog).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    await expect(dialog).toBeHidden();

    const name = `Dialogs ${tag()}`;
    const { record } = await issueKey(e2eDb(), { name }, system);
    await page.goto(`/keys/${record.id}`);
    for (const [button, title] of [
      ["Edit", `Edit ${name}`],
      ["Rotate", `Rotate ${name}`],
      ["Revoke", `Revoke ${name}`],
    ] as const) {
      const trigger = page.getByRole("button", { name: button, exact: true });
      await trigger.click();
      const open = page.getByRole("dialog", { name: title });
      await expect(open).toBeVisible();
      for (let i = 0; i < 12; i++) {
        await page.keyboard.press("Tab");
        expect(await focusIsInside(open)).toBe(true);
      }
      await page.keyboard.press("Escape");
      await expect(open).toBeHidden();
      await expect(trigger).toBeFocused();
    }
    // Nothing was changed by opening and escaping.
    expect(await e2eDb().apiKey.findUniqueOrThrow({ where: { id: record.id } })).toMatchObject({ name, revokedAt: null, expiresAt: null });
  });

  test("an unknown key id shows the not-found page inside the dashboard", async ({ page }) => {
    for (const id of ["key_doesnotexist000000000000", "not-even-an-id"]) {
      await page.goto(`/keys/${id}`);
      await expect(page.getByRole("heading", { name: "Not found", level: 1 })).toBeVisible();
      await expect(page.getByRole("navigation", { name: "Main" })).toBeVisible();
    }
    await page.getByRole("link", { name: "All keys" }).click();
    await expect(page).toHaveURL(/\/keys$/);
  });

  test("a signed-out visitor is sent to sign in, and a wrong password gets one message", async ({ browser, baseURL }) => {
    // A failed sign-in slows later ones from the same address: this one comes from its own.
    const context = await browser.newContext({ baseURL, extraHTTPHeaders: { "x-forwarded-for": address() } });
    const page = await context.newPage();
    try {
      for (const path of ["/", "/keys", "/keys/new", "/usage", "/audit", "/scopes"]) {
        await page.goto(path);
        await expect(page).toHaveURL(/\/login$/);
      }
      await page.getByLabel("Email").fill(owner.email);
      await page.getByLabel("Password").fill("not the password");
      await page.getByRole("button", { name: "Sign in" }).click();
      await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
      await expect(page.getByLabel("Email")).toHaveValue(owner.email);
    } finally {
      await context.close();
    }
  });
});
