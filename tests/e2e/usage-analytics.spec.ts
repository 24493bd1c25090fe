import { expect, test, type APIRequestContext } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { createTestUser, signIn } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";

// DESIGN.md sections 15.2 and 15.4 and issue 17 through the running server: where a key is used
// from, latency per bucket on the usage API, and both on the key page, all from derived tables.

const system = { type: "system" as const, id: null };
const octet = () => Math.floor(Math.random() * 254) + 1;
const address = () => `10.${octet()}.${octet()}.${octet()}`;

async function call(request: APIRequestContext, key: string, path: string, ip: string, params?: Record<string, string>) {
  const response = await request.get(path, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": ip }, params });
  return { status: response.status(), body: await response.json() };
}

async function usedKey(request: APIRequestContext) {
  const root = await issueKey(e2eDb(), { name: "usage root", scopes: ["keys:read", "usage:read"] }, system);
  const used = await issueKey(e2eDb(), { name: `used ${octet()}` }, system);
  const [first, second] = [address(), address()];
  for (let i = 0; i < 3; i++) expect((await call(request, used.key, "/api/v1/whoami", first)).status).toBe(200);
  // Denied: the key lacks keys:read.
  expect((await call(request, used.key, "/api/v1/keys", first)).status).toBe(403);
  await new Promise((resolve) => setTimeout(resolve, 20));
  expect((await call(request, used.key, "/api/v1/whoami", second)).status).toBe(200);
  return { root: root.key, id: used.record.id, first, second };
}

test.describe("GET /api/v1/keys/{id}/addresses", () => {
  test("lists each address with requests, denied and last seen, most recent first", async ({ request }) => {
    const { root, id, first, second } = await usedKey(request);
    await expect
      .poll(async () => (await call(request, root, `/api/v1/keys/${id}/addresses`, address())).body.data?.map((row: { ip: string }) => row.ip), {
        timeout: 10_000,
      })
      .toEqual([second, first]);
    const { status, body } = await call(request, root, `/api/v1/keys/${id}/addresses`, address());
    expect(status).toBe(200);
    expect(body).toEqual({
      data: [
        { ip: second, requests: 1, denied: 0, lastSeenAt: expect.stringMatching(/Z$/) },
        { ip: first, requests: 4, denied: 1, lastSeenAt: expect.stringMatching(/Z$/) },
      ],
    });
    expect(Date.parse(body.data[0].lastSeenAt)).toBeGreaterThan(Date.parse(body.data[1].lastSeenAt));
  });

  test("is 404 for an unknown key and 403 without usage:read", async ({ request }) => {
    const root = await issueKey(e2eDb(), { name: "usage root", scopes: ["usage:read"] }, system);
    const unknown = await call(request, root.key, "/api/v1/keys/key_0000000000000000000000/addresses", address());
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "not_found"]);
    const reader = await issueKey(e2eDb(), { name: "keys reader", scopes: ["keys:read"] }, system);
    const refused = await call(request, reader.key, `/api/v1/keys/${root.record.id}/addresses`, address());
    expect([refused.status, refused.body.error.code, refused.body.error.details.required]).toEqual([403, "insufficient_scope", ["usage:read"]]);
  });
});

test.describe("GET /api/v1/keys/{id}/usage", () => {
  test("adds p50, p95 and p99 per bucket with include=latency, and only then", async ({ request }) => {
    const { root, id } = await usedKey(request);
    const url = `/api/v1/keys/${id}/usage`;
    // Until all five uses are flushed: a flush can fall between them.
    const total = (series: { counts: Record<string, number> }[] | undefined) =>
      series?.reduce((sum, bucket) => sum + Object.values(bucket.counts).reduce((a, b) => a + b, 0), 0);
    await expect.poll(async () => total((await call(request, root, url, address())).body.series), { timeout: 10_000 }).toBe(5);
    const plain = await call(request, root, url, address());
    expect(Object.keys(plain.body.series[0]).sort()).toEqual(["at", "counts"]);
    const withLatency = await call(request, root, url, address(), { include: "latency" });
    expect(withLatency.status).toBe(200);
    expect(withLatency.body.series[0]).toEqual({
      at: plain.body.series[0].at,
      counts: { valid: 4, insufficient_scope: 1 },
      latency: { p50: expect.any(Number), p95: expect.any(Number), p99: expect.any(Number) },
    });
    const { p50, p95, p99 } = withLatency.body.series[0].latency;
    expect(p50).toBeLessThanOrEqual(p95);
    expect(p95).toBeLessThanOrEqual(p99);
  });

  test("is 400 naming the field for latency by the minute, minutes past the raw retention, or an unknown include", async ({ request }) => {
    const { root, id } = await usedKey(request);
    const url = `/api/v1/keys/${id}/usage`;
    const monthAgo = new Date(Date.now() - 30 * 86_400_000).toISOString();
    for (const [params, field] of [
      [{ granularity: "minute", include: "latency" }, "include"],
      [{ granularity: "minute", from: monthAgo }, "granularity"],
      [{ include: "everything" }, "include"],
    ] as const) {
      const reply = await call(request, root, url, address(), params);
      expect(reply.status, JSON.stringify(reply.body)).toBe(400);
      expect(reply.body.error.code).toBe("bad_request");
      expect(JSON.stringify(reply.body.error.details)).toContain(field);
    }
    expect((await call(request, root, url, address(), { granularity: "hour", from: monthAgo, include: "latency" })).status).toBe(200);
  });
});

test("the key page shows where the key is used from and its response time", async ({ page, request }) => {
  const { id, first, second } = await usedKey(request);
  const root = await issueKey(e2eDb(), { name: "usage root", scopes: ["usage:read"] }, system);
  await expect.poll(async () => (await call(request, root.key, `/api/v1/keys/${id}/addresses`, address())).body.data?.length, { timeout: 10_000 }).toBe(2);
  await signIn(page, await createTestUser("VIEWER"));
  await page.goto(`/keys/${id}`);
  const table = page.getByRole("region", { name: "Addresses that used this key" });
  await expect(table.getByRole("row")).toHaveCount(3);
  await expect(table.getByRole("row").nth(1)).toContainText(second);
  await expect(table.getByRole("row").nth(2)).toContainText(first);
  await expect(table.getByRole("row").nth(2)).toContainText("4");
  await expect(page.getByRole("figure", { name: /^Response time, this key/ })).toBeVisible();
  await expect(page.getByRole("figure", { name: /^Error rate, this key/ })).toContainText("of 5 requests");
  await page.screenshot({ path: "test-results/key-page-used-from.png", fullPage: true });

  await page.goto("/usage");
  await expect(page.getByRole("figure", { name: /^Response time, all keys/ })).toBeVisible();
  await page.screenshot({ path: "test-results/usage-page-latency.png", fullPage: true });
});
