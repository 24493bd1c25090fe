import { randomBytes } from "node:crypto";
import path from "node:path";

import { expect, test, type APIRequestContext } from "@playwright/test";
import pg from "pg";

import { issueKey, revokeKey, rotateKey, type KeySettings } from "../../lib/keys/service";
import { createScope } from "../../lib/scopes/service";
import { createTestUser, signIn, type TestUser } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";
import { startFreshServer, type FreshServer } from "../helpers/fresh-server";
import { checkPage, expectNoSeriousViolations, heading, SCREENSHOTS, WIDTHS } from "../helpers/page-check";

// Every page at a desktop and a phone width, checked and photographed (see page-check.ts).

const system = { type: "system" as const, id: null };

function address(): string {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}

async function whoami(request: APIRequestContext, key: string, ip: string): Promise<number> {
  const response = await request.get("/api/v1/whoami", { headers: { "x-api-key": key, "x-forwarded-for": ip } });
  return response.status();
}

test.describe("a fresh installation", () => {
  test.describe.configure({ mode: "serial" });
  let server: FreshServer;

  test.beforeAll(async () => {
    test.setTimeout(180_000);
    server = await startFreshServer(3142);
  });
  test.afterAll(async () => {
    await server?.stop();
  });

  test("setup, then the empty dashboard and its error state", async ({ page }) => {
    test.setTimeout(120_000);
    await checkPage(page, "setup", `${server.baseUrl}/setup`, heading("Welcome to Keyhold"));
    await checkPage(page, "setup-errors", server.setupUrl, heading("Welcome to Keyhold"), async (page) => {
      await page.getByLabel("Email").fill("owner@example.com");
      await page.getByLabel("Name").fill("Owner");
      await page.getByLabel("Password", { exact: true }).fill("a long enough password");
      await page.getByLabel("Repeat the password").fill("a different long password");
      await page.getByRole("button", { name: "Create owner account" }).click();
      await expect(page.getByText("Does not match the password.")).toBeVisible();
    });

    await page.getByLabel("Repeat the password").fill("a long enough password");
    await page.getByRole("button", { name: "Create owner account" }).click();
    await expect(page).toHaveURL(/\/login\?setup=done$/);
    await checkPage(page, "login-after-setup", `${server.baseUrl}/login?setup=done`, heading("Sign in to Keyhold"));
    await page.getByLabel("Email").fill("owner@example.com");
    await page.getByLabel("Password").fill("a long enough password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page).toHaveURL(`${server.baseUrl}/`);

    await checkPage(page, "empty-overview", `${server.baseUrl}/`, heading("Overview"));
    await checkPage(page, "empty-keys", `${server.baseUrl}/keys`, (page) => page.getByText("No keys yet."));
    await checkPage(page, "empty-scopes", `${server.baseUrl}/scopes`, (page) => page.getByText("The catalogue is empty."));
    await checkPage(page, "empty-usage", `${server.baseUrl}/usage`, heading("Usage"));

    const client = new pg.Client({ connectionString: server.databaseUrl });
    await client.connect();
    try {
      await client.query("ALTER TABLE audit_logs RENAME TO audit_logs_away");
      await checkPage(page, "error", `${server.baseUrl}/audit`, (page) => page.getByRole("alert").filter({ hasText: "Something went wrong" }));
    } finally {
      await client.query("ALTER TABLE audit_logs_away RENAME TO audit_logs");
      await client.end();
    }
  });
});

test.describe("the dashboard with data", () => {
  let owner: TestUser;
  let rotatedId: string;
  let successorId: string;

  test.beforeAll(async ({ playwright }, testInfo) => {
    const request = await playwright.request.newContext({ baseURL: testInfo.project.use.baseURL });
    owner = await createTestUser("OWNER");
    const run = randomBytes(3).toString("hex");
    const scopes = [`orders${run}:read`, `orders${run}:write`, `refunds${run}:create`];
    for (const name of scopes)
      await createScope(e2eDb(), { name, description: `Lets a key ${name.split(":")[1]} ${name.split(":")[0].replace(run, "")}` }, system);
    const ip = address();
    const make = (name: string, extra: Partial<KeySettings> = {}) => issueKey(e2eDb(), { name, ownerId: `cus_${run}`, scopes: [scopes[0]!], ...extra }, system);
    const checkout = await make("Checkout service", {
      scopes: scopes.slice(0, 2),
      ratelimit: { limit: 100, windowMs: 60_000 },
      remaining: 10_000,
      meta: { team: "payments", tier: "gold" },
    });
    const mobile = await make("Mobile app (test)", { environment: "test", expiresAt: new Date(Date.now() + 3 * 86_400_000) });
    const partner = await make("Partner integration", { expiresAt: new Date(Date.now() + 90 * 86_400_000) });
    const leaked = await make("Leaked CI key");
    const old = await make("Nightly export");
    await e2eDb().apiKey.update({ where: { id: old.record.id }, data: { expiresAt: new Date(Date.now() - 86_400_000) } });
    for (let i = 0; i < 6; i++) await whoami(request, checkout.key, ip);
    for (let i = 0; i < 3; i++) await whoami(request, mobile.key, ip);
    await whoami(request, leaked.key, ip);
    await revokeKey(e2eDb(), leaked.record.id, "Posted in a public issue", system);
    await whoami(request, leaked.key, ip);
    for (let i = 0; i < 3; i++) await whoami(request, `kh_live_${"Z".repeat(38)}`, address());
    await whoami(request, partner.key, ip);
    const rotated = await rotateKey(e2eDb(), partner.record.id, { gracePeriodSeconds: 86_400 }, system);
    await whoami(request, partner.key, ip);
    await whoami(request, rotated.key, ip);
    rotatedId = partner.record.id;
    successorId = rotated.record.id;
    // Usage reaches the charts through a buffer flushed every second.
    await expect.poll(async () => e2eDb().usageRollup.count({ where: { keyId: partner.record.id } }), { timeout: 10_000 }).toBeGreaterThan(0);
    await request.dispose();
  });

  test.beforeEach(async ({ page }) => {
    await signIn(page, owner);
  });

  test("overview, keys, usage and audit", async ({ page }) => {
    test.setTimeout(120_000);
    await checkPage(page, "overview", "/", (page) => page.getByRole("figure", { name: /Requests in the last 24 hours/ }));
    await checkPage(page, "keys", "/keys", heading("Keys"));
    await checkPage(page, "keys-filtered-empty", "/keys?q=no-such-key-anywhere", (page) => page.getByText("No keys match these filters."));
    await checkPage(page, "usage", "/usage", (page) => page.getByRole("figure", { name: /Requests in the last 24 hours/ }));
    await checkPage(page, "audit", "/audit", heading("Audit log"));
    await checkPage(page, "not-found", "/keys/key_nothinghere000000000000", heading("Not found"));
  });

  test("a key's page, in its grace period and as the new key, with each dialog open", async ({ page }) => {
    test.setTimeout(120_000);
    await checkPage(page, "key", `/keys/${rotatedId}`, (page) => page.getByText(/This key was rotated/));
    await checkPage(page, "key-successor", `/keys/${successorId}`, (page) => page.getByRole("region", { name: "Rotation history", exact: true }));
    for (const [action, title] of [
      ["Edit", "Edit"],
      ["Rotate", "Rotate"],
      ["Revoke", "Revoke"],
    ] as const) {
      await checkPage(page, `key-dialog-${action.toLowerCase()}`, `/keys/${successorId}`, heading(/Partner integration/), async (page) => {
        await page.getByRole("button", { name: action, exact: true }).click();
        await expect(page.getByRole("dialog", { name: new RegExp(`^${title} `) })).toBeVisible();
      });
    }
  });

  test("creating a key and its one-time reveal", async ({ page }) => {
    test.setTimeout(120_000);
    await checkPage(page, "key-new", "/keys/new", heading("New key"));
    await checkPage(page, "key-new-invalid", "/keys/new", heading("New key"), async (page) => {
      await page.getByLabel("Metadata (JSON object)").fill('{"team": }');
      await expect(page.getByText("Not valid JSON.")).toBeVisible();
    });
    await checkPage(page, "key-reveal", "/keys/new", heading("New key"), async (page) => {
      await page.getByLabel("Name").fill(`Reveal ${randomBytes(3).toString("hex")}`);
      await page.getByRole("button", { name: "Create key" }).click();
      await expect(page.getByTestId("revealed-key")).toBeVisible();
    });
    await checkPage(page, "key-rotate-reveal", `/keys/${successorId}`, heading(/Partner integration/), async (page) => {
      // A fresh key each time: rotating this one would end the successor the next step shows.
      const { record } = await issueKey(e2eDb(), { name: `Rotate reveal ${randomBytes(3).toString("hex")}` }, system);
      await page.goto(`/keys/${record.id}`);
      await page.getByRole("button", { name: "Rotate" }).click();
      await page.getByRole("dialog").getByLabel("Grace period").selectOption({ label: "1 hour" });
      await page.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
      await expect(page.getByRole("dialog").getByTestId("revealed-key")).toBeVisible();
    });
  });

  test("scopes, users and account", async ({ page }) => {
    test.setTimeout(120_000);
    await checkPage(page, "scopes", "/scopes", heading("Scopes"));
    await checkPage(page, "scopes-add", "/scopes", heading("Scopes"), async (page) => {
      await page.getByRole("button", { name: "Add scope" }).click();
      await expect(page.getByRole("dialog", { name: "Add a scope" })).toBeVisible();
    });
    await checkPage(page, "users", "/users", heading("Users"));
    await checkPage(page, "account", "/account", heading("Account"));
  });

  test("the loading skeleton while a page's data is on its way", async ({ page }) => {
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: width === 390 ? 844 : 800 });
      // The router can only show the skeleton once it has prefetched the page's loading
      // boundary, which it does for links on screen: clicking sooner just waits for the page.
      const prefetched = page.waitForResponse((response) => {
        const headers = response.request().headers();
        return new URL(response.url()).pathname === "/audit" && headers["next-router-prefetch"] === "1" && !headers["next-router-segment-prefetch"];
      });
      await page.goto("/scopes");
      await expect(heading("Scopes")(page)).toBeVisible();
      await prefetched;
      // Holds the server's answer for the next page, so the skeleton stays up long enough to check.
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      await page.route(
        (url) => url.pathname === "/audit",
        async (route) => {
          // Prefetches go through: only the navigation itself waits.
          if (!Object.keys(route.request().headers()).some((name) => name.includes("prefetch"))) await held;
          await route.continue();
        },
      );
      await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Audit log" }).click();
      await expect(page.getByRole("status").filter({ hasText: "Loading…" })).toBeAttached();
      await expectNoSeriousViolations(page, `loading at ${width} px`);
      await page.screenshot({ path: path.join(SCREENSHOTS, `loading-${width}.png`), fullPage: true });
      release();
      await expect(heading("Audit log")(page)).toBeVisible();
      await page.unrouteAll({ behavior: "wait" });
    }
  });
});

test("sign-in page", async ({ page }) => {
  await checkPage(page, "login", "/login", heading("Sign in to Keyhold"));
  await checkPage(page, "login-error", "/login", heading("Sign in to Keyhold"), async (page) => {
    // From an address of its own: failed sign-ins slow down later ones from the same address.
    await page.setExtraHTTPHeaders({ "x-forwarded-for": address() });
    await page.getByLabel("Email").fill("nobody@example.com");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert").filter({ hasText: "Wrong email or password." })).toBeVisible();
  });
});
