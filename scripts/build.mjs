// `npm run build`: the Prisma client, Next's production build, then the launcher, server and
// CLI bundled to plain JavaScript (scripts/build-standalone.mjs). scripts/start.mjs runs it
// when `npm start` finds no build.
import { spawnSync } from "node:child_process";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const steps = [["scripts/prisma-generate.mjs"], ["node_modules/next/dist/bin/next", "build"], ["scripts/build-standalone.mjs"]];

for (const step of steps) {
  const run = spawnSync(process.execPath, step, { cwd: root, stdio: "inherit" });
  if (run.status !== 0) process.exit(run.status ?? 2);
}
