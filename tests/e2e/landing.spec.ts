import { expect, test } from "@playwright/test";

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
