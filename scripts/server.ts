// The app server process the launcher runs: `node --import tsx scripts/server.ts dev` for
// `npm run dev`, or bundled to plain JavaScript (server.mjs next to the bundled launcher).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";

import { API_CONTRACTS } from "../lib/api/contract/routes";
import { appRoot } from "../lib/server/app-root";
import { dispatchRoutes } from "../lib/server/dispatch-routes";
import { serve } from "../lib/server/http-server";
import { API_ROUTE_MODULES, NOT_FOUND_MODULE } from "./api-route-modules";

const dev = process.argv[2] === "dev";
const dir = appRoot(import.meta.dirname);
// In production Next is handed the build's resolved config, the way Next's own standalone
// server.js does: the standalone output has no next.config.ts, and in the repository loading it
// would compile it with SWC at every start (tens of MB of resident memory for one object).
const manifest = path.join(dir, ".next", "required-server-files.json");
if (!dev && existsSync(manifest)) {
  process.env.__NEXT_PRIVATE_STANDALONE_CONFIG = JSON.stringify(JSON.parse(readFileSync(manifest, "utf8")).config);
}
await serve({
  dev,
  port: Number(process.env.PORT ?? 3000),
  dir,
  api: { routes: dispatchRoutes(API_CONTRACTS, API_ROUTE_MODULES), notFound: NOT_FOUND_MODULE },
});
