import { expect, test } from "@playwright/test";

import { createTestUser, signIn } from "../helpers/dashboard-users";

// The interactive API reference (/docs/api) renders /api/openapi.json with Scalar, served from
// our own origin under the app's Content-Security-Policy: every route of the document is on the
// page, and the browser asks no other origin for anything (fonts, scripts, telemetry).

interface Document {
  paths: Record<string, Record<string, { summary: string }>>;
}

test("the API reference shows every route of the OpenAPI document and loads nothing from elsewhere", async ({ page, request, baseURL }) => {
  const document = (await (await request.get("/api/openapi.json")).json()) as Document;
  const routes = Object.entries(document.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, summary: op.summary })));
  expect(routes.length).toBeGreaterThan(10);

  const origin = new URL(baseURL!).origin;
  const elsewhere: string[] = [];
  page.on("request", (sent) => {
    const url = new URL(sent.url());
    if (url.protocol.startsWith("http") && url.origin !== origin) elsewhere.push(sent.url());
  });
  const blocked: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy/i.test(message.text())) blocked.push(message.text());
  });

  const response = await page.goto("/docs/api");
  expect(response?.status()).toBe(200);
  expect(response?.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
  await expect(page.getByText(document.paths["/api/v1/keys"].post.summary).first()).toBeVisible({ timeout: 30_000 });

  for (const route of routes) {
    const where = `${route.method.toUpperCase()} ${route.path}`;
    await expect(page.getByText(route.summary, { exact: true }).first(), where).toBeAttached();
    await expect(page.locator("body"), where).toContainText(route.path);
  }
  await page.screenshot({ path: "test-results/api-reference.png", fullPage: false });
  expect(elsewhere).toEqual([]);
  expect(blocked).toEqual([]);
});

test("the bundle comes from our own origin as JavaScript", async ({ request }) => {
  const response = await request.get("/docs/api/scalar.js");
  expect(response.status()).toBe(200);
  expect(response.headers()["content-type"]).toMatch(/^text\/javascript/);
  expect((await response.body()).length).toBeGreaterThan(100_000);
});

test("a VIEWER finds the reference in the dashboard's navigation", async ({ page }) => {
  await signIn(page, await createTestUser("VIEWER"));
  await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "API reference" }).click();
  await page.waitForURL((url) => url.pathname === "/docs/api");
  await expect(page).toHaveTitle(/API reference/);
  await expect(page.getByText("Issue a key", { exact: true }).first()).toBeAttached({ timeout: 30_000 });
});
