import type { IncomingMessage } from "node:http";

import { describe, expect, it } from "vitest";

import { bindContract } from "../../lib/api/contract/bind-contract";
import type { RouteContract } from "../../lib/api/contract/route-contract";
import { createApiDispatcher, type RouteModule } from "../../lib/server/api-dispatcher";
import { dispatchRoutes } from "../../lib/server/dispatch-routes";

// Which requests the dispatcher takes (lib/server/api-dispatcher.ts) and which it leaves to
// Next. That its answers are Next's is tested end to end in tests/e2e/dispatcher.spec.ts.

type Method = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";
const contract = (method: Method, path: string): RouteContract => ({
  method,
  path,
  operationId: `${method} ${path}`,
  summary: path,
  tag: "service",
  scopes: null,
  success: { status: 200, schema: null, description: path },
});
/** A route file's module: its contracts' methods bound to them, the other methods answering 405. */
function routeModule(...bound: RouteContract[]): RouteModule {
  const handlers: RouteModule = {};
  for (const method of ["GET", "POST", "PUT", "PATCH", "DELETE"] as const) handlers[method] = () => new Response("405");
  for (const route of bound) handlers[route.method] = bindContract(route, () => new Response("{}"));
  return handlers;
}
const table = [
  contract("GET", "/api/v1/keys/{id}"),
  contract("PATCH", "/api/v1/keys/{id}"),
  contract("POST", "/api/v1/keys/verify"),
  contract("GET", "/api/v1/whoami"),
  contract("GET", "/api/health/live"),
];
const modules = {
  key: routeModule(table[0]!, table[1]!),
  verify: routeModule(table[2]!),
  whoami: routeModule(table[3]!),
  live: routeModule(table[4]!),
  notFound: routeModule(),
};
const byPath = {
  "/api/v1/keys/{id}": modules.key,
  "/api/v1/keys/verify": modules.verify,
  "/api/v1/whoami": modules.whoami,
  "/api/health/live": modules.live,
};
const dispatcher = createApiDispatcher({ routes: dispatchRoutes(table, byPath), notFound: modules.notFound, headers: () => [] });

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
    expect(() => dispatchRoutes(table, { "/api/v1/whoami": modules.whoami })).toThrow(
      /no module for \/api\/v1\/keys\/\{id\}; no module for \/api\/v1\/keys\/verify; no module for \/api\/health\/live/,
    );
    expect(() => dispatchRoutes([table[3]!], { "/api/v1/whoami": modules.whoami, "/api/v1/extra": modules.key })).toThrow(
      /\/api\/v1\/extra is not in the table/,
    );
    // A handler bound to another contract (or to none) is not the route the table describes.
    expect(() => dispatchRoutes([table[3]!], { "/api/v1/whoami": modules.verify })).toThrow(/GET \/api\/v1\/whoami is not bound to its contract/);
  });
});

describe("the server's route modules (scripts/api-route-modules.ts)", () => {
  it("are exactly the routes of the table, each bound to its contract, so the server starts", async () => {
    const { API_CONTRACTS } = await import("../../lib/api/contract/routes");
    const { API_ROUTE_MODULES } = await import("../../scripts/api-route-modules");
    expect(() => dispatchRoutes(API_CONTRACTS, API_ROUTE_MODULES)).not.toThrow();
  }, 30_000);
});
