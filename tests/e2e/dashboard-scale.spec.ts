import path from "node:path";

import { expect, test, type Locator, type Page } from "@playwright/test";

import { createScope } from "../../lib/scopes/service";
import { createUser } from "../../lib/users/service";
import { WEBHOOK_EVENT_TYPES } from "../../lib/webhooks/event-types";
import { createTestUser, signIn, type TestUser } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";
import { checkPage, expectNoSeriousViolations, heading, SCREENSHOTS } from "../helpers/page-check";
import { seedScale, type ScaleSeed } from "../helpers/seed-scale";

// The dashboard on a database of realistic size (a few thousand keys, a day of traffic) and on
// a phone: every page photographed at both widths, then what a daily user would notice first.

let owner: TestUser;
let seed: ScaleSeed;

const system = { type: "system" as const, id: null };
const WEBHOOK = "whk_scale1webhook000000001";
const FAILING_WEBHOOK = "whk_scale1webhook000000002";

/**
 * What the scale seed leaves out: the catalogue of the scopes its keys carry (so they count in
 * the thousands), a user with a long name and address, and two webhook endpoints, one with a
 * log of deliveries, written as a restore would. Each piece once per database, as the seed.
 */
async function seedSettings() {
  const db = e2eDb();
  const scopes = {
    "orders:read": "Read orders, their lines and their refunds",
    "orders:write": "Create, change and cancel orders on behalf of a customer",
    "refunds:create": "Refund an order in full or in part, up to the amount captured",
    "inventory:read": "",
    "reports:export": "Export monthly reports as CSV to the configured storage bucket",
  };
  for (const [name, description] of Object.entries(scopes)) {
    if (!(await db.scope.findUnique({ where: { name } }))) await createScope(db, { name, description }, system);
  }
  const email = "maximiliane.oberhauser-villanueva@payments.example.com";
  if (!(await db.user.findUnique({ where: { email } }))) {
    await createUser(db, { email, name: "Maximiliane Oberhauser-Villanueva", password: "a long enough password", role: "ADMIN" }, system);
  }
  if (await db.webhookEndpoint.findUnique({ where: { id: WEBHOOK } })) {
    await db.webhookEndpoint.update({ where: { id: WEBHOOK }, data: { enabled: true } });
    return;
  }
  // No delivery is pending, so the server's worker has nothing to send. The enabled endpoint
  // hears only of rotations and revocations, which no test of this file makes, and is disabled
  // after the file (its secret is a placeholder).
  await db.webhookEndpoint.createMany({
    data: [
      {
        id: WEBHOOK,
        url: "https://hooks.payments.example.com/keyhold/events/production",
        description: "Payments on-call",
        events: ["key.rotated", "key.revoked"],
        secretEncrypted: "unused",
      },
      {
        id: FAILING_WEBHOOK,
        url: "https://old-receiver.example.net/hooks",
        events: [...WEBHOOK_EVENT_TYPES],
        enabled: false,
        disabledReason: "Disabled automatically: every delivery failed for 24 hours.",
        secretEncrypted: "unused",
      },
    ],
  });
  const now = Date.now();
  await db.webhookDelivery.createMany({
    data: Array.from({ length: 25 }, (_, n) => {
      const failed = n % 6 === 5;
      const at = new Date(now - n * 47 * 60_000);
      return {
        id: `whd_scale1delivery${String(n).padStart(8, "0")}`,
        endpointId: WEBHOOK,
        eventType: n % 3 === 0 ? "key.rotated" : "key.revoked",
        body: "{}",
        status: failed ? "failed" : "delivered",
        attempts: failed ? 14 : 1 + (n % 3 === 0 ? 1 : 0),
        responseStatus: failed ? 503 : 200,
        createdAt: at,
        lastAttemptAt: new Date(at.getTime() + 30_000),
      };
    }),
  });
}

test.beforeAll(async () => {
  test.setTimeout(120_000);
  owner = await createTestUser("OWNER");
  // A fixed run: every e2e run has a database of its own, and a retry reuses the seed.
  seed = await seedScale("scale1");
  await seedSettings();
});

test.afterAll(async () => {
  await e2eDb().webhookEndpoint.update({ where: { id: WEBHOOK }, data: { enabled: false } });
});

test.beforeEach(async ({ page }) => {
  await signIn(page, owner);
});

/** The table's own frame never scrolls sideways: what does not fit is left to the row's page. */
async function expectFits(table: Locator) {
  const { scrollWidth, clientWidth } = await table.evaluate((element) => ({ scrollWidth: element.scrollWidth, clientWidth: element.clientWidth }));
  expect(scrollWidth, "the table scrolls sideways").toBeLessThanOrEqual(clientWidth);
}

const figure = (page: Page) => page.getByRole("figure", { name: /Requests in the last 24 hours/ });

test("every page at 1280 and 390 px with thousands of keys and a day of traffic", async ({ page }) => {
  // Thirteen pages, each twice with axe: minutes on a machine shared with other work.
  test.setTimeout(600_000);
  await checkPage(page, "scale-overview", "/", figure);
  await checkPage(page, "scale-keys", "/keys", heading("Keys"));
  await checkPage(page, "scale-keys-filtered", `/keys?status=active&ownerId=${seed.smallOwner}`, (page) => page.getByRole("list", { name: "Filters applied" }));
  await checkPage(page, "scale-key", `/keys/${seed.heroId}`, (page) => page.getByRole("region", { name: "At a glance" }));
  await checkPage(page, "scale-key-idle", `/keys/${seed.idleId}`, (page) => page.getByRole("figure", { name: /Requests with this key/ }));
  await checkPage(page, "scale-usage", "/usage", figure);
  await checkPage(page, "scale-usage-7d", "/usage?range=7d", heading("Usage"));
  await checkPage(page, "scale-audit", "/audit", heading("Audit log"));
  await checkPage(page, "scale-scopes", "/scopes", heading("Scopes"));
  await checkPage(page, "scale-users", "/users", heading("Users"));
  await checkPage(page, "scale-webhooks", "/webhooks", heading("Webhooks"));
  await checkPage(page, "scale-webhook", `/webhooks/${WEBHOOK}`, heading("Payments on-call"));
  await checkPage(page, "scale-account", "/account", heading("Account"));
});

test.describe("in the viewer's locale", () => {
  test.use({ locale: "de-DE" });

  test("counts, figures and chart axes are grouped the German way", async ({ page }) => {
    await page.goto("/");
    const active = page.getByText("Active keys").locator("xpath=following-sibling::p[1]");
    await expect(active).toHaveText(/^\d{1,3}(\.\d{3})+$/);
    await expect(page.getByText("Requests, 24 h").locator("xpath=following-sibling::p[1]")).toHaveText(/^\d{1,3}(\.\d{3})+$/);
    await page.goto("/usage");
    await expect(figure(page)).toBeVisible();
    // The top key served hundreds of requests; the y axis of the hourly chart reaches past 1,000.
    await expect(page.getByRole("region", { name: "Top keys table" }).locator("tbody tr").first().locator("td").nth(1)).toHaveText(/^\d{1,3}(\.\d{3})*$/);
    // Only the y axis has numbers this size; the x axis reads 07:00.
    await expect(
      figure(page)
        .locator("svg text")
        .filter({ hasText: /^\d{1,3}\.\d{3}$/ })
        .first(),
    ).toBeVisible();
    await page.goto(`/keys/${seed.heroId}`);
    await expect(
      page
        .locator("dl > div")
        .filter({ has: page.locator("dt", { hasText: /^Quota left$/ }) })
        .locator("dd"),
    ).toHaveText("48.213");
  });
});

test("the sidebar runs the full height of a long page and its links stay on screen", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/keys/${seed.heroId}`);
  await expect(page.getByRole("region", { name: "At a glance" })).toBeVisible();
  const pageHeight = await page.evaluate(() => document.documentElement.scrollHeight);
  expect(pageHeight, "the key page is longer than the window").toBeGreaterThan(1_600);
  const sidebar = await page.getByRole("complementary").boundingBox();
  expect(sidebar!.y).toBe(0);
  expect(Math.round(sidebar!.height)).toBe(pageHeight);
  await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
  await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Keys" })).toBeInViewport();
});

test.describe("on a 390 px phone", () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test("keys are cards of name, start, status and owner; the rest is on the key's page", async ({ page }) => {
    await page.goto("/keys");
    const table = page.getByRole("region", { name: "Keys table" });
    await expectFits(table);
    const first = table.locator("tbody tr").first();
    const cells = first.locator("td");
    for (const index of [0, 1, 2, 3]) await expect(cells.nth(index)).toBeVisible();
    for (const index of [4, 5, 6]) await expect(cells.nth(index)).toBeHidden();
    // A card is one block, name and status side by side: far shorter than the phone is wide.
    const box = (await first.boundingBox())!;
    expect(box.width).toBeLessThanOrEqual(390);
    expect(box.height).toBeLessThan(120);
  });

  test("audit entries and recent requests fit the screen too", async ({ page }) => {
    await page.goto("/audit");
    await expectFits(page.getByRole("region", { name: "Audit log entries" }));
    await page.goto(`/keys/${seed.heroId}`);
    const events = page.getByRole("region", { name: "Recent requests with this key" });
    await expectFits(events);
    await expect(events.locator("tbody tr").first()).toContainText("203.0.113.");
    await page.goto("/");
    await expectFits(page.getByRole("region", { name: "Recent denied requests", exact: true }));
  });

  test("scopes and users are cards too: every count, role and button on screen", async ({ page }) => {
    await page.goto("/scopes");
    const scopes = page.getByRole("region", { name: "Scope catalogue" });
    await expectFits(scopes);
    const orders = scopes.locator("tbody tr").filter({ hasText: "orders:write" });
    // The count says what it counts where no column heading does (in generated content, which
    // the accessible name includes and the cell's text does not).
    await expect(orders.getByRole("link", { name: /^\d{1,3}(,\d{3})* keys$/ })).toBeInViewport();
    await expect(orders.getByRole("button", { name: "Edit orders:write" })).toBeInViewport();
    await expectNoSeriousViolations(page, "scopes at 390 px");

    await page.goto("/users");
    const users = page.getByRole("region", { name: "Users" });
    await expectFits(users);
    const long = users.locator("tbody tr").filter({ hasText: "maximiliane.oberhauser-villanueva@payments.example.com" });
    await expect(long.getByRole("combobox", { name: /^Role of maximiliane/ })).toBeInViewport();
    await expect(long.getByRole("button", { name: /^Disable maximiliane/ })).toBeInViewport();
    await expect(long.locator("time")).toBeInViewport();
    await expectNoSeriousViolations(page, "users at 390 px");
  });

  test("webhook endpoints and their deliveries fit as well", async ({ page }) => {
    await page.goto("/webhooks");
    await expectFits(page.getByRole("region", { name: "Webhook endpoints" }));
    await page.goto(`/webhooks/${WEBHOOK}`);
    const deliveries = page.getByRole("region", { name: "Deliveries" });
    await expectFits(deliveries);
    const failed = deliveries.locator("tbody tr").filter({ hasText: "failed" }).first();
    await failed.scrollIntoViewIfNeeded();
    for (const text of ["14", "503"]) await expect(failed.getByText(text, { exact: true })).toBeInViewport();
  });
});

test("hovering a bar shows its hour and every outcome's count; an empty range says so", async ({ page }) => {
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.goto(`/keys/${seed.heroId}`);
  const chart = page.getByRole("figure", { name: /Requests with this key in the last 24 hours/ });
  const bars = chart.locator(".recharts-bar-rectangle");
  await expect(bars.last()).toBeVisible();
  // recharts shows the tooltip of whichever bucket the mouse is over by its x position anywhere
  // in the plot, and its svg surface takes the pointer: hovering the bar itself, which can be a
  // sliver, never gets through. So the mouse goes to the bar's horizontal centre, halfway up the plot.
  const bar = (await bars.last().boundingBox())!;
  const plot = (await chart.locator(".recharts-cartesian-grid").boundingBox())!;
  await page.mouse.move(bar.x + bar.width / 2, plot.y + plot.height / 2, { steps: 4 });
  const tooltip = chart.getByRole("status");
  await expect(tooltip).toContainText(/\d{4}-\d{2}-\d{2} \d{2}:00–\d{2}:00 UTC/);
  await expect(tooltip).toContainText(/valid\s*[\d,]+/);
  await expect(tooltip).toContainText(/rate_limited\s*[\d,]+/);
  await expect(tooltip).toContainText(/total\s*[\d,]+/);
  await page.screenshot({ path: path.join(SCREENSHOTS, "scale-chart-tooltip-1280.png") });

  await page.goto(`/keys/${seed.idleId}`);
  const empty = page.getByRole("figure", { name: /Requests with this key in the last 24 hours/ });
  await expect(empty).toHaveText("No requests in this range.");
  await expect(empty.locator("svg")).toHaveCount(0);
});

test("keys: search as you type, filter chips that clear in one click, and a count", async ({ page }) => {
  await page.goto("/keys");
  const count = page.getByRole("status").filter({ hasText: /keys?$/ });
  await expect(count).toHaveText(/^[\d,]+ keys$/);
  const total = Number((await count.textContent())!.replace(/\D/g, ""));
  expect(total).toBeGreaterThanOrEqual(seed.keys);

  const search = page.getByRole("search", { name: "Filter keys" }).getByLabel("Search by name or key start");
  // Typed, not submitted: the list follows after a pause.
  await search.pressSequentially("Partner sync 1236");
  await expect(page).toHaveURL(/[?&]q=Partner\+sync\+1236(&|$)/);
  const rows = page.getByRole("region", { name: "Keys table" }).locator("tbody tr");
  await expect(rows).toHaveCount(1);
  await expect(count).toHaveText("1 key");
  await expect(search).toBeFocused();

  await page.getByRole("search", { name: "Filter keys" }).getByLabel("Status").selectOption("active");
  await page.getByRole("search", { name: "Filter keys" }).getByRole("button", { name: "Filter" }).click();
  await expect(page).toHaveURL(/status=active/);
  const chips = page.getByRole("list", { name: "Filters applied" });
  await expect(chips.getByRole("link")).toHaveText(["Search: Partner sync 1236×", "Status: active×", "Clear all"]);

  // One click drops the search and keeps the status; the field empties with it.
  await chips.getByRole("link", { name: "Remove filter Search: Partner sync 1236" }).click();
  await expect(page).toHaveURL(/\/keys\?status=active$/);
  await expect(search).toHaveValue("");
  await expect(chips.getByRole("link")).toHaveText(["Status: active×"]);
  await expect(count).toHaveText(/^[\d,]+ keys$/);
  await chips.getByRole("link", { name: "Remove filter Status: active" }).click();
  await expect(page).toHaveURL(/\/keys$/);
  await expect(chips).toHaveCount(0);
  await expect(page.getByRole("search", { name: "Filter keys" }).getByLabel("Status")).toHaveValue("");

  // Clearing the field by hand clears the search from the URL as well.
  await search.fill("Mobile app");
  await expect(page).toHaveURL(/q=Mobile\+app/);
  await search.fill("");
  await expect(page).toHaveURL(/\/keys$/);
});

test("the audit log shows its filters as chips too, each cleared in one click", async ({ page }) => {
  await page.goto("/audit?targetType=user&actorType=system");
  const chips = page.getByRole("list", { name: "Filters applied" });
  await expect(chips.getByRole("link")).toHaveText(["Actor: system×", "Target: user×", "Clear all"]);
  await chips.getByRole("link", { name: "Remove filter Target: user" }).click();
  await expect(page).toHaveURL(/\/audit\?actorType=system$/);
  await expect(page.getByRole("search", { name: "Filter the audit log" }).getByLabel("Target type")).toHaveValue("");
  await chips.getByRole("link", { name: "Remove filter Actor: system" }).click();
  await expect(page).toHaveURL(/\/audit$/);
  await expect(chips).toHaveCount(0);
});

test("a key's page answers first: working, last used from where, quota left, rate limit headroom", async ({ page }) => {
  await page.goto(`/keys/${seed.heroId}`);
  const glance = page.getByRole("region", { name: "At a glance" });
  const card = (label: string) => glance.locator("div.rounded-lg").filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) });
  await expect(card("Status")).toContainText("active");
  await expect(card("Status")).toContainText(/[\d,]+ requests in the last hour, [\d,]+ refused/);
  await expect(card("Last used")).toContainText(/just now|minute/);
  await expect(card("Last used")).toContainText(/Latest request from 203\.0\.113\.\d/);
  await expect(card("Quota left")).toContainText("48,213");
  await expect(card("Rate limit")).toContainText("100 per 60 s");
  await expect(card("Rate limit")).toContainText(/Busiest window in the last hour: \d+ \(\d+% of the limit\), [\d,]+ refused by it/);
  await expect(card("Rate limit").getByRole("meter")).toBeVisible();

  // The long metadata is folded until asked for.
  const fold = page.locator("details").filter({ hasText: /6 fields/ });
  await expect(fold.locator("pre")).toBeHidden();
  await fold.getByText(/6 fields/).click();
  await expect(fold.locator("pre")).toContainText('"runbook": "https://wiki.example.com/payments/keys"');
});
