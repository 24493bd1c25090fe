import type { DispatchRoute, RouteModule } from "./api-dispatcher";

/**
 * The dispatcher's routes: every path of the route table with the module of its route file.
 * Throws when a path has no module or a module no path, so the dispatcher can never serve a
 * different set of routes than the table (and the OpenAPI document) describes.
 */
export function dispatchRoutes(table: readonly { path: string }[], modules: Record<string, RouteModule>): DispatchRoute[] {
  const paths = [...new Set(table.map((route) => route.path))];
  const missing = paths.filter((path) => !(path in modules));
  const extra = Object.keys(modules).filter((path) => !paths.includes(path));
  if (missing.length > 0 || extra.length > 0) {
    throw new Error(`API dispatcher: route table and route modules differ (no module: ${missing.join(", ") || "none"}; not in the table: ${extra.join(", ") || "none"})`);
  }
  // Fixed segments before parameters, so /api/v1/keys/verify is never taken for /api/v1/keys/{id}.
  return paths
    .map((path) => ({ path, module: modules[path]! }))
    .sort((a, b) => Number(a.path.includes("{")) - Number(b.path.includes("{")));
}
