// The app server process the launcher runs: `node --import tsx scripts/server.ts start|dev`.
import path from "node:path";
import { serve } from "../lib/server/http-server";

const dev = process.argv[2] === "dev";
await serve({ dev, port: Number(process.env.PORT ?? 3000), dir: path.resolve(import.meta.dirname, "..") });
