// `npm run db:restore -- FILE`: restores a backup made by `npm run db:backup` (or a plain-SQL
// pg_dump) into an empty database, in one transaction. Exit codes as the admin CLI's (DESIGN.md
// section 13): 0 success, 1 a user error (one line on stderr), 2 anything else.
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { DataDirInUseError, openDatabase } from "../lib/db/open-database";
import { restoreDatabase, RestoreError, type RestoredCounts, type RestoreTarget } from "../lib/db/restore";
import { ConfigError, parseEnv } from "../lib/env";
import { debugHint, firstSentence, lockRefusal, onInterrupt, runCommand, UsageError, write, type Failure } from "./cli/run-command";

const root = path.resolve(import.meta.dirname, "..");

const USAGE = `Usage: npm run db:restore -- FILE

Restores a backup made by \`npm run db:backup\` into an empty database, all or nothing. A database
that has any table is refused. Afterwards \`npm start\` finds every migration of the backup applied.
Database: DATABASE_URL when set, else the embedded database in \${KEYHOLD_DATA_DIR:-.data}/pglite
(created when missing), which only one process may open: stop the server first.
To move from the embedded database to PostgreSQL: back up, set DATABASE_URL, restore, start.
Exit codes: 0 success, 1 user error, 2 anything else.`;

const LABELS: Record<keyof RestoredCounts, [string, string]> = {
  api_keys: ["key", "keys"],
  users: ["user", "users"],
  usage_events: ["usage event", "usage events"],
  usage_rollups: ["usage rollup", "usage rollups"],
  audit_logs: ["audit entry", "audit entries"],
};

// A line while restoring at most this often, so a long restore shows it is moving.
const PROGRESS_INTERVAL_MS = 5_000;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${firstSentence(error)} Usage: npm run db:restore -- FILE`);
  }
  if (parsed.values.help) {
    await write(process.stdout, USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) throw new UsageError("db:restore takes one FILE, the backup to restore. Usage: npm run db:restore -- FILE");
  // Without NODE_ENV, as in the admin CLI: its production rule is about the server's secret.
  const config = parseEnv({ ...process.env, NODE_ENV: undefined });
  // npm runs scripts in the project folder; a relative FILE means one where npm was run.
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), parsed.positionals[0]);
  // Also checked here, before a database is opened: a typo must not leave a new data folder behind.
  if (!existsSync(file)) throw new UsageError(`${file} does not exist.`);

  let counts: RestoredCounts;
  let label: string;
  if (config.DATABASE_URL) {
    const url = new URL(config.DATABASE_URL);
    label = `PostgreSQL at ${url.host}${url.pathname}`;
    counts = await restore({ url: config.DATABASE_URL, label }, file);
  } else {
    // Resolved like the launcher and the admin CLI do, so all find the same folder.
    const dataDir = path.resolve(root, config.KEYHOLD_DATA_DIR);
    label = `the embedded database in ${path.join(dataDir, "pglite")}`;
    // Not migrated: a restore goes into an empty database, and brings its migration history along.
    const database = await openDatabase({ databaseUrl: undefined, dataDir }).catch((error: unknown) => {
      throw error instanceof DataDirInUseError ? lockRefusal(error, "restore") : error;
    });
    try {
      counts = await restore({ url: database.url, label }, file);
    } finally {
      await database.close();
    }
  }
  const summary = (Object.keys(LABELS) as (keyof RestoredCounts)[]).map((table) => {
    const [one, many] = LABELS[table];
    return `${counts[table]} ${counts[table] === 1 ? one : many}`;
  });
  await write(process.stdout, `Restored ${summary.join(", ")} into ${label}.`);
  return 0;
}

const aborter = new AbortController();

function restore(target: RestoreTarget, file: string): Promise<RestoredCounts> {
  let lastLine = Date.now();
  return restoreDatabase(target, file, {
    signal: aborter.signal,
    onStart(bytes) {
      busy = true;
      console.log(`Restoring ${file} (${formatBytes(bytes)}) into ${target.label}...`);
    },
    onProgress(bytesRead, bytes) {
      if (Date.now() - lastLine < PROGRESS_INTERVAL_MS) return;
      lastLine = Date.now();
      console.log(`  ${Math.min(100, Math.floor((bytesRead / bytes) * 100))}% (${formatBytes(bytesRead)} of ${formatBytes(bytes)})`);
    },
  });
}

function formatBytes(bytes: number): string {
  if (bytes < 1024 * 1024) return `${bytes} bytes`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function describeFailure(error: unknown): Failure {
  if (error instanceof UsageError || error instanceof RestoreError || error instanceof ConfigError) return { code: 1, message: error.message };
  if (aborter.signal.aborted) return { code: 2, message: "interrupted; nothing was restored." };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 2, message: `restore failed: ${message.split("\n")[0].slice(0, 500)}${debugHint()}` };
}

// While restoring, the first Ctrl-C rolls the restore back and closes the database properly;
// a second one, or any before, exits at once (PostgreSQL rolls back a transaction whose
// connection is gone by itself).
let busy = false;
onInterrupt(
  () => busy,
  () => {
    aborter.abort();
    return "Interrupted: rolling the restore back (again to stop at once).";
  },
);
await runCommand(main, describeFailure);
