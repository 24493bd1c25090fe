import { expect, test } from "@playwright/test";

import { createTestUser } from "../helpers/dashboard-users";

test("health answers ok with the database up", async ({ request }) => {
  const response = await request.get("/api/health");
  expect(response.status()).toBe(200);
  expect(await response.json()).toEqual({ status: "ok", database: "up" });
  expect(response.headers()["cache-control"]).toBe("no-store");
});

test("liveness answers ok without auth, uncached, and refuses other methods", async ({ request }) => {
  const response = await request.get("/api/health/live");
  expect(response.status()).toBe(200);
  expect(await response.text()).toBe('{"status":"ok"}');
  expect(response.headers()["cache-control"]).toBe("no-store");
  const post = await request.post("/api/health/live");
  expect(post.status()).toBe(405);
  expect(post.headers()["allow"]).toBe("GET");
  expect((await post.json()).error.code).toBe("method_not_allowed");
});

test("HTML pages carry the security headers", async ({ request }) => {
  for (const path of ["/login", "/setup", "/"]) {
    const response = await request.get(path, { maxRedirects: 0 });
    const headers = response.headers();
    expect(headers["content-security-policy"], path).toContain("frame-ancestors 'none'");
    expect(headers["x-content-type-options"], path).toBe("nosniff");
    expect(headers["referrer-policy"], path).toBe("same-origin");
  }
});

test("pages run only scripts carrying this response's nonce: no 'unsafe-inline' scripts, no HSTS over http", async ({ request }) => {
  const nonces = new Set<string>();
  for (const path of ["/login", "/setup"]) {
    const response = await request.get(path);
    const policy = response.headers()["content-security-policy"]!;
    const scriptSrc = policy.split(";").find((part) => part.trim().startsWith("script-src"))!;
    expect(scriptSrc, path).not.toContain("'unsafe-inline'");
    const nonce = /'nonce-([^']+)'/.exec(scriptSrc)![1]!;
    nonces.add(nonce);
    const html = await response.text();
    const scripts = [...html.matchAll(/<script\b[^>]*>/g)].map((match) => match[0]);
    expect(scripts.length, path).toBeGreaterThan(0);
    for (const tag of scripts) expect(tag, path).toContain(`nonce="${nonce}"`);
    // The e2e server's public URL is http: promising https would lock browsers out.
    expect(response.headers()["strict-transport-security"], path).toBeUndefined();
  }
  expect(nonces.size).toBe(2);
});

test("the sign-in page hydrates and works under the policy, with no violation reported", async ({ page }) => {
  const violations: string[] = [];
  page.on("console", (message) => {
    if (/Content Security Policy|Refused to (execute|load)/i.test(message.text())) violations.push(message.text());
  });
  // With no user at all, /login leads to /setup.
  const user = await createTestUser("VIEWER");
  await page.setExtraHTTPHeaders({ "x-forwarded-for": `10.251.${Math.floor(Math.random() * 254) + 1}.${Math.floor(Math.random() * 254) + 1}` });
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("not the password");
  await page.getByRole("button", { name: "Sign in" }).click();
  // The answer is shown by the page's own script: it ran.
  await expect(page.getByText("Wrong email or password.")).toBeVisible();
  expect(violations).toEqual([]);
});
