// The app server process the launcher runs: `node --import tsx scripts/server.ts start|dev`, or
// scripts/server.mjs in the standalone output.
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { API_ROUTES } from "../lib/api/openapi";
import { dispatchRoutes } from "../lib/server/dispatch-routes";
import { serve } from "../lib/server/http-server";
import { API_ROUTE_MODULES, NOT_FOUND_MODULE } from "./api-route-modules";

const dev = process.argv[2] === "dev";
const dir = path.resolve(import.meta.dirname, "..");
// The standalone output has no next.config.ts: its resolved config is in the build manifest,
// handed to Next the way Next's own standalone server.js does.
const manifest = path.join(dir, ".next", "required-server-files.json");
if (!existsSync(path.join(dir, "next.config.ts")) && existsSync(manifest)) {
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(JSON.parse(readFileSync(manifest, "utf8")).config);
}
await serve({
  dev,
  port: Number(process.env.PORT ?? 3000),
  dir,
  api: { routes: dispatchRoutes(API_ROUTES, API_ROUTE_MODULES), notFound: NOT_FOUND_MODULE },
});
