import { randomBytes } from "node:crypto";

import { expect, test, type APIRequestContext, type Locator, type Page } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { createTestUser, signIn, type TestUser } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";

// Refills and IP allowlists in the dashboard (DESIGN.md sections 15.3 and 15.4): set in the
// create and edit forms, shown on the key page, refused with the field named, and enforced on
// the key's next request.

const system = { type: "system" as const, id: null };

function tag(): string {
  return randomBytes(4).toString("hex");
}

/** The value next to a label in a key page's details list. */
function detail(page: Page, label: string): Locator {
  return page
    .locator("dl > div")
    .filter({ has: page.locator("dt", { hasText: new RegExp(`^${label}$`) }) })
    .locator("dd");
}

/** The key page's summary cards: the quota card says how it refills. */
function glance(page: Page): Locator {
  return page.getByRole("region", { name: "At a glance" });
}

function tomorrowAtMidnightUtc(): string {
  const next = new Date(Math.floor(Date.now() / 86_400_000) * 86_400_000 + 86_400_000);
  return `${next.toISOString().slice(0, 10)} 00:00 UTC`;
}

// The e2e server trusts one X-Forwarded-For hop, so the header says where a request comes from.
async function whoamiFrom(request: APIRequestContext, key: string, ip: string): Promise<{ status: number; code?: string }> {
  const response = await request.get("/api/v1/whoami", { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip } });
  const body = (await response.json()) as { error?: { code: string } };
  return { status: response.status(), code: body.error?.code };
}

test.describe("key policies in the dashboard", () => {
  let owner: TestUser;

  test.beforeAll(async () => {
    owner = await createTestUser("OWNER");
  });
  test.beforeEach(async ({ page }) => {
    await signIn(page, owner);
  });

  test("a key created with a daily refill and an allowlist: shown on its page and enforced", async ({ page, request }) => {
    const name = `Metered ${tag()}`;
    await page.goto("/keys/new");
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Refill amount").fill("1000");
    await page.getByLabel("Refill interval").selectOption("daily");
    await page.getByLabel("IP allowlist").fill("10.20.0.0/16\n2001:DB8::/32\n::ffff:192.0.2.1");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByText("Key created")).toBeVisible();
    const key = (await page.getByTestId("revealed-key").textContent())!.trim();

    await page.getByRole("link", { name: "I have stored it: open the key" }).click();
    await expect(page.getByRole("heading", { name, level: 1 })).toBeVisible();
    await expect(detail(page, "Quota left")).toHaveText("1,000");
    await expect(glance(page)).toContainText(`Refills to 1,000 daily, next at ${tomorrowAtMidnightUtc()}.`);
    await expect(detail(page, "IP allowlist")).toHaveText("10.20.0.0/16, 2001:db8::/32, 192.0.2.1");

    expect(await whoamiFrom(request, key, "10.20.3.4")).toEqual({ status: 200, code: undefined });
    expect(await whoamiFrom(request, key, "10.21.3.4")).toEqual({ status: 403, code: "ip_not_allowed" });
    // A key with a quota charts the credits it spent beside its requests.
    await expect(page.getByRole("figure", { name: /Credits spent from this key's quota in the last 24 hours/ })).toBeVisible();
  });

  test("the create form names a bad allowlist entry and a half-filled refill, and makes no key", async ({ page }) => {
    const name = `Refused ${tag()}`;
    await page.goto("/keys/new");
    await page.getByLabel("Name").fill(name);
    await page.getByLabel("Refill amount").fill("50");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByText("Give both how many uses and how often, or neither.")).toBeVisible();

    await page.getByLabel("Refill interval").selectOption("monthly");
    await page.getByLabel("IP allowlist").fill("10.0.0.1\n10.0.0.0/33");
    await page.getByRole("button", { name: "Create key" }).click();
    await expect(page.getByText(/^Entry 2: must be an IPv4 or IPv6 address or CIDR range/)).toBeVisible();
    expect(await e2eDb().apiKey.count({ where: { name } })).toBe(0);
  });

  test("editing a key's refill and allowlist, then clearing them", async ({ page, request }) => {
    const name = `Edit policies ${tag()}`;
    const { record, key } = await issueKey(e2eDb(), { name, remaining: 7 }, system);
    await page.goto(`/keys/${record.id}`);
    await expect(glance(page)).toContainText("Does not refill.");
    await expect(detail(page, "IP allowlist")).toHaveText("any address");

    await page.getByRole("button", { name: "Edit" }).click();
    const dialog = page.getByRole("dialog", { name: `Edit ${name}` });
    await dialog.getByLabel("Refill amount").fill("250");
    await dialog.getByLabel("Refill interval").selectOption("monthly");
    await dialog.getByLabel("IP allowlist").fill("198.51.100.0/24, 2001:db8::1");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect(page.getByText("Key updated")).toBeVisible();
    await expect(dialog).toBeHidden();

    await expect(glance(page)).toContainText("Refills to 250 monthly, next at ");
    await expect(detail(page, "IP allowlist")).toHaveText("198.51.100.0/24, 2001:db8::1");
    // The quota was not touched, so it was not set anew.
    await expect(detail(page, "Quota left")).toHaveText("7");
    expect(await whoamiFrom(request, key, "203.0.113.1")).toEqual({ status: 403, code: "ip_not_allowed" });
    expect((await whoamiFrom(request, key, "198.51.100.9")).status).toBe(200);

    await page.getByRole("button", { name: "Edit" }).click();
    await expect(dialog.getByLabel("IP allowlist")).toHaveValue("198.51.100.0/24\n2001:db8::1");
    await dialog.getByLabel("IP allowlist").fill("");
    await dialog.getByLabel("Quota left").fill("");
    await dialog.getByRole("button", { name: "Save" }).click();
    await expect(dialog).toBeHidden();
    await expect(detail(page, "IP allowlist")).toHaveText("any address");
    await expect(detail(page, "Quota left")).toHaveText("unlimited");
    await expect(glance(page)).not.toContainText("Refills");
    await expect(page.getByRole("region", { name: "Audit trail", exact: true })).toContainText("key.update");
  });
});
