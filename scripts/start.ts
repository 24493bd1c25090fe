// Launcher for `npm start` and `npm run dev`: validates configuration, brings up the
// database (embedded PGlite when DATABASE_URL is unset), applies migrations, then runs Next
// and shuts everything down in order on SIGINT/SIGTERM. `npm start` runs it bundled to plain
// JavaScript (.next/keyhold/start.mjs, through scripts/start.mjs), `npm run dev` through tsx.
import { spawn } from "node:child_process";
import path from "node:path";

import { startEmbeddedDatabase, type EmbeddedDatabase } from "../lib/db/embedded";
import { migrate } from "../lib/db/migrate";
import { ConfigError, parseEnv } from "../lib/env";
import { loadOrCreateSecret, lockDataDir } from "../lib/process/data-dir";
import { serverHeapFlags } from "../lib/process/server-heap-flags";
import { appRoot } from "../lib/server/app-root";

const mode = process.argv[2] === "dev" ? "dev" : "start";
const root = appRoot(import.meta.dirname);

function fail(message: string, code = 1): never {
  console.error(message);
  process.exit(code);
}

function describeUrl(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

async function main() {
  // Validated as the server will run (production for `start`), whatever the shell's NODE_ENV says:
  // production's rules (a NEXTAUTH_SECRET with DATABASE_URL) must hold for production.
  const nodeEnv = mode === "dev" ? "development" : "production";
  let config;
  try {
    config = parseEnv({ ...process.env, NODE_ENV: nodeEnv });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const dataDir = path.resolve(root, config.KEYHOLD_DATA_DIR);

  let embedded: EmbeddedDatabase | undefined;
  let unlock = () => {};
  let databaseUrl = config.DATABASE_URL;
  if (databaseUrl) {
    console.log(`Keyhold: database: PostgreSQL at ${describeUrl(databaseUrl)}`);
  } else {
    const pgliteDir = path.join(dataDir, "pglite");
    // Whatever the embedded database writes from now on is this user's alone (DESIGN.md 15.7).
    process.umask(0o077);
    try {
      unlock = lockDataDir(dataDir);
    } catch (error) {
      fail(`Keyhold: ${(error as Error).message}`);
    }
    embedded = await startEmbeddedDatabase({ dataDir: pgliteDir });
    databaseUrl = embedded.url;
    console.log(
      `Keyhold: database: embedded PGlite in ${path.relative(root, pgliteDir) || pgliteDir} (served on a Unix socket in ${embedded.socketDir}, for this user only; set DATABASE_URL to use PostgreSQL)`,
    );
  }

  const stopDatabase = async () => {
    await embedded?.stop();
    unlock();
  };

  try {
    const { applied, total } = await migrate(databaseUrl, path.join(root, "prisma", "migrations"));
    console.log(`Keyhold: migrations: ${applied.length} applied, ${total} in all`);
  } catch (error) {
    await stopDatabase();
    fail(`Keyhold: ${(error as Error).message}`);
  }

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    NEXTAUTH_SECRET: config.NEXTAUTH_SECRET ?? loadOrCreateSecret(dataDir),
    NEXTAUTH_URL: config.NEXTAUTH_URL ?? `http://localhost:${config.PORT}`,
    KEYHOLD_EMBEDDED: embedded ? "1" : "",
    PORT: String(config.PORT),
    NODE_ENV: nodeEnv,
  };

  const heapLimits = serverHeapFlags(config.KEYHOLD_MAX_HEAP_MB);
  // Bundled, the server is plain JavaScript next to this file: production starts no tsx.
  const server = import.meta.filename.endsWith(".mjs")
    ? [...heapLimits, path.join(import.meta.dirname, "server.mjs")]
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
