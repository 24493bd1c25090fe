// `npm run db:backup [-- FILE]`: a plain-SQL backup of Keyhold's database that `npm run
// db:restore` (or psql) restores into an empty embedded or PostgreSQL database. Exit codes as the
// admin CLI's (DESIGN.md section 13): 0 success, 1 a user error (one line on stderr), 2 anything else.
import { existsSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";

import { backupDatabase, BackupError } from "../lib/db/backup";
import { ConfigError, parseEnv } from "../lib/env";
import { debugHint, firstSentence, lockForCommand, onInterrupt, runCommand, UsageError, write, type Failure } from "./cli/run-command";

const root = path.resolve(import.meta.dirname, "..");

const USAGE = `Usage: npm run db:backup [-- FILE]

Writes a plain-SQL backup of the database to FILE, by default keyhold-backup-<UTC time>.sql in the
current folder. An existing file is never overwritten. Restore it with \`npm run db:restore -- FILE\`.
Database: DATABASE_URL when set (dumped by the system's pg_dump, which must be on PATH), else the
embedded database in \${KEYHOLD_DATA_DIR:-.data}/pglite, which only one process may open: stop the
server first.
Exit codes: 0 success, 1 user error, 2 anything else.`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(`${firstSentence(error)} Usage: npm run db:backup [-- FILE]`);
  }
  if (parsed.values.help) {
    await write(process.stdout, USAGE);
    return 0;
  }
  if (parsed.positionals.length > 1) throw new UsageError("db:backup takes at most one FILE. Usage: npm run db:backup [-- FILE]");
  // Without NODE_ENV, as in the admin CLI: its production rule is about the server's secret.
  const config = parseEnv({ ...process.env, NODE_ENV: undefined });
  // npm runs scripts in the project folder; a relative FILE means one where npm was run.
  const file = path.resolve(process.env.INIT_CWD ?? process.cwd(), parsed.positionals[0] ?? defaultFileName());

  let bytes: number;
  if (config.DATABASE_URL) {
    const url = new URL(config.DATABASE_URL);
    busy = true;
    bytes = await backupDatabase({ databaseUrl: config.DATABASE_URL }, file, {
      onStart: () => console.log(`Backing up PostgreSQL at ${url.host}${url.pathname} to ${file} with pg_dump...`),
    });
  } else {
    // Resolved like the launcher and the admin CLI do, so all find the same folder.
    const dataDir = path.resolve(root, config.KEYHOLD_DATA_DIR);
    // Where no embedded database was ever started there is nothing to lock, and locking would
    // leave an empty data folder behind; the backup then says there is nothing to back up.
    const unlock = existsSync(dataDir) ? lockForCommand(dataDir, "backup") : () => undefined;
    try {
      const pgliteDir = path.join(dataDir, "pglite");
      busy = true;
      bytes = await backupDatabase({ pgliteDir }, file, { onStart: () => console.log(`Backing up the embedded database in ${pgliteDir} to ${file}...`) });
    } finally {
      unlock();
    }
  }
  busy = false;
  await write(process.stdout, `Wrote ${file} (${bytes} bytes).`);
  return 0;
}

function defaultFileName(): string {
  // 20261123T174502Z: sorts by time, and has no colons, which some file systems refuse.
  return `keyhold-backup-${new Date()
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}.sql`;
}

function describeFailure(error: unknown): Failure {
  if (error instanceof UsageError || error instanceof BackupError || error instanceof ConfigError) return { code: 1, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 2, message: `backup failed: ${message.split("\n")[0].slice(0, 300)}${debugHint()}` };
}

// While the dump runs, the first Ctrl-C lets it finish, so the embedded database is closed
// properly and no partial file is left; a second one, or any before, exits at once.
let busy = false;
onInterrupt(
  () => busy,
  () => "Interrupted: finishing the backup first (again to stop at once).",
);
await runCommand(main, describeFailure);
