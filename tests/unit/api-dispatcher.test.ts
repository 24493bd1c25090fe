import type { IncomingMessage } from "node:http";
import { describe, expect, it } from "vitest";
import { createApiDispatcher, type RouteModule } from "../../lib/server/api-dispatcher";
import { dispatchRoutes } from "../../lib/server/dispatch-routes";

// Which requests the dispatcher takes (lib/server/api-dispatcher.ts) and which it leaves to
// Next. That its answers are Next's is tested end to end in tests/e2e/dispatcher.spec.ts.

const handler = () => new Response("{}");
const routeModule = (...methods: ("GET" | "POST" | "PATCH" | "PUT" | "DELETE")[]): RouteModule => Object.fromEntries(methods.map((method) => [method, handler]));
const modules = {
  whoami: routeModule("GET", "POST", "PUT", "PATCH", "DELETE"),
  verify: routeModule("GET", "POST", "PUT", "PATCH", "DELETE"),
  key: routeModule("GET", "POST", "PUT", "PATCH", "DELETE"),
  live: routeModule("GET", "POST", "PUT", "PATCH", "DELETE"),
  notFound: routeModule("GET", "POST", "PUT", "PATCH", "DELETE"),
};
const table = [
  { path: "/api/v1/keys/{id}" },
  { path: "/api/v1/keys/{id}" },
  { path: "/api/v1/keys/verify" },
  { path: "/api/v1/whoami" },
  { path: "/api/health/live" },
];
const dispatcher = createApiDispatcher({
  routes: dispatchRoutes(table, {
    "/api/v1/keys/{id}": modules.key,
    "/api/v1/keys/verify": modules.verify,
    "/api/v1/whoami": modules.whoami,
    "/api/health/live": modules.live,
  }),
  notFound: modules.notFound,
  headers: () => [],
});

function request(method: string, url: string, headers: Record<string, string> = {}) {
  return { method, url, headers } as unknown as IncomingMessage;
}

describe("API dispatcher", () => {
  it("takes the API's routes, with their path parameters, fixed segments first", () => {
    expect(dispatcher.match(request("GET", "/api/v1/whoami?x=1"))).toMatchObject({ params: {}, pathname: "/api/v1/whoami", head: false });
    expect(dispatcher.match(request("POST", "/api/v1/keys/verify"))?.handler).toBe(modules.verify.POST);
    expect(dispatcher.match(request("PATCH", "/api/v1/keys/key_abc"))).toMatchObject({ params: { id: "key_abc" } });
    expect(dispatcher.match(request("PATCH", "/api/v1/keys/key_abc"))?.handler).toBe(modules.key.PATCH);
    expect(dispatcher.match(request("HEAD", "/api/health/live"))).toMatchObject({ handler: modules.live.GET, head: true });
  });

  it("answers any other path under the API with the catch-all", () => {
    expect(dispatcher.match(request("GET", "/api/v1/nothing/here"))?.handler).toBe(modules.notFound.GET);
    expect(dispatcher.match(request("DELETE", "/api/health/other"))?.handler).toBe(modules.notFound.DELETE);
  });

  it("leaves to Next what it does not reproduce: other paths, methods, non-canonical paths and Next's router requests", () => {
    for (const [method, url, headers] of [
      ["GET", "/", {}],
      ["GET", "/api/auth/session", {}],
      ["GET", "/api/metrics", {}],
      ["GET", "/api/v1x", {}],
      ["OPTIONS", "/api/v1/whoami", {}],
      ["PROPFIND", "/api/v1/whoami", {}],
      ["GET", "/api/v1/whoami/", {}],
      ["GET", "/api/v1//whoami", {}],
      ["GET", "/api/v1/./whoami", {}],
      ["GET", "/api/v1/keys/%6B", {}],
      ["GET", "/api/v1/whoami", { rsc: "1" }],
      ["GET", "/api/v1/whoami", { "next-router-prefetch": "1" }],
    ] as const) {
      expect(dispatcher.match(request(method, url, headers)), `${method} ${url}`).toBeNull();
    }
  });

  it("refuses to start when the route table and the route modules disagree", () => {
    expect(() => dispatchRoutes(table, { "/api/v1/whoami": modules.whoami })).toThrow(/no module: \/api\/v1\/keys\/\{id\}, \/api\/v1\/keys\/verify, \/api\/health\/live/);
    expect(() => dispatchRoutes([{ path: "/api/v1/whoami" }], { "/api/v1/whoami": modules.whoami, "/api/v1/extra": modules.key })).toThrow(/not in the table: \/api\/v1\/extra/);
  });
});
