import type { RouteContract } from "../api/contract/route-contract";
import type { DispatchRoute, RouteModule } from "./api-dispatcher";

/**
 * The dispatcher's routes: every path of the route table (lib/api/contract/routes.ts) with the
 * module of its route file. Throws when a path has no module, a module no path, or a contract's
 * method is answered by a handler bound to another contract, so the dispatcher can never serve
 * other routes than the table (and the OpenAPI document built from it) describes.
 */
export function dispatchRoutes(table: readonly RouteContract[], modules: Record<string, RouteModule>): DispatchRoute[] {
  const paths = [...new Set(table.map((route) => route.path))];
  const problems = [
    ...paths.filter((path) => !(path in modules)).map((path) => `no module for ${path}`),
    ...Object.keys(modules)
      .filter((path) => !paths.includes(path))
      .map((path) => `${path} is not in the table`),
    ...table
      .filter((route) => (modules[route.path]?.[route.method] as { contract?: RouteContract } | undefined)?.contract !== route)
      .map((route) => `${route.method} ${route.path} is not bound to its contract`),
  ];
  if (problems.length > 0) throw new Error(`API dispatcher: ${problems.join("; ")}`);
  // Fixed segments before parameters, so /api/v1/keys/verify is never taken for /api/v1/keys/{id}.
  return paths.map((path) => ({ path, module: modules[path]! })).sort((a, b) => Number(a.path.includes("{")) - Number(b.path.includes("{")));
}
