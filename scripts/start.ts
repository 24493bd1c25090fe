// Launcher for `npm start` and `npm run dev`: validates configuration, brings up the
// database (embedded PGlite when DATABASE_URL is unset), applies migrations, then runs Next
// and shuts everything down in order on SIGINT/SIGTERM.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { ConfigError, parseEnv } from "../lib/env";
import { DataDirInUseError, MigrationError, openDatabase, type OpenDatabase } from "../lib/db/open-database";
import { loadOrCreateSecret } from "../lib/process/data-dir";

const mode = process.argv[2] === "dev" ? "dev" : "start";
const root = path.resolve(import.meta.dirname, "..");
const nextBin = path.join(root, "node_modules", "next", "dist", "bin", "next");

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

async function main() {
  let config;
  try {
    config = parseEnv();
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const dataDir = path.resolve(root, config.KEYHOLD_DATA_DIR);

  if (config.DATABASE_URL) console.log(`Keyhold: database: PostgreSQL at ${describeUrl(config.DATABASE_URL)}`);
  let database: OpenDatabase;
  try {
    database = await openDatabase({ databaseUrl: config.DATABASE_URL, dataDir, migrations: path.join(root, "prisma", "migrations") });
  } catch (error) {
    // A held data folder or a failed migration is the user's to fix (code 1); anything else is a crash.
    if (error instanceof DataDirInUseError || error instanceof MigrationError) fail(`Keyhold: ${error.message}`);
    throw error;
  }
  const { url: databaseUrl, pgliteDir } = database;
  if (pgliteDir) {
    console.log(
      `Keyhold: database: embedded PGlite in ${path.relative(root, pgliteDir) || pgliteDir} (served on ${describeUrl(databaseUrl)}; set DATABASE_URL to use PostgreSQL)`,
    );
  }
  console.log(`Keyhold: migrations: ${database.migrated?.applied.length ?? 0} applied, ${database.migrated?.total ?? 0} in all`);
  const stopDatabase = () => database.close();

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? loadOrCreateSecret(dataDir),
    NEXTAUTH_URL: config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`,
    KEYHOLD_EMBEDDED: pgliteDir ? "1" : "",
    PORT: String(config.PORT),
    NODE_ENV: mode === "dev" ? "development" : "production",
  };

  if (mode === "start" && !existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("Keyhold: no production build found, running `next build` first");
    const build = spawnSync(process.execPath, [nextBin, "build"], { cwd: root, env, stdio: "inherit" });
    if (build.status !== 0) {
      await stopDatabase();
      fail("Keyhold: build failed", build.status ?? 2);
    }
  }

  // Bundled into the standalone output, the server is plain JavaScript next to this file.
  const server = import.meta.filename.endsWith(".mjs")
    ? [path.join(import.meta.dirname, "server.mjs")]
    : ["--import", "tsx", path.join(root, "scripts", "server.ts")];
  const child = spawn(process.execPath, [...server, mode], {
    cwd: root,
    env,
    stdio: "inherit",
  });

  let signals = 0;
  const forward = (signal: NodeJS.Signals) => {
    signals += 1;
    // A second Ctrl-C means "now": skip the graceful path.
    child.kill(signals > 1 ? "SIGKILL" : signal);
  };
  process.on("SIGINT", () => forward("SIGINT"));
  process.on("SIGTERM", () => forward("SIGTERM"));

  child.on("exit", async (code, signal) => {
    await stopDatabase();
    process.exit(code ?? (signal ? 0 : 1));
  });
}

main().catch((error) => fail(`Keyhold: failed to start: ${error instanceof Error ? error.message : String(error)}`, 2));
