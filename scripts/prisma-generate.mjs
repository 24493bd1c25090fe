// Runs `prisma generate` without network access. Prisma 7 asks for its schema engine
// binary even though generate never runs it; any existing file satisfies that check,
// so nothing is downloaded (DESIGN.md section 10).
import { spawnSync } from "node:child_process";

const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = "1";

const result = spawnSync(process.execPath, ["node_modules/prisma/build/index.js", "generate"], {
  stdio: ["ignore", "inherit", "inherit"],
  env,
});
process.exit(result.status ?? 1);
