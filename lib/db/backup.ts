import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { open, rm, type FileHandle } from "node:fs/promises";
import path from "node:path";

// Plain-SQL backups of the embedded database (pglite-tools' pg_dump, compiled to Wasm and run
// in-process against PGlite) or of PostgreSQL (the system pg_dump). lib/db/restore.ts reads
// them back without psql, into either kind of database.

export type BackupSource = { pgliteDir: string } | { databaseUrl: string };

/** A problem the person running the backup can fix; its message is the whole story. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "BackupError";
  }
}

// No owners or grants: the roles of the dumped server need not exist where it is restored.
// INSERTs instead of COPY FROM stdin: COPY data blocks need psql to feed them to the server,
// INSERTs run as plain queries on any PostgreSQL. A thousand rows per statement keeps a restore
// of millions of usage events to thousands of round trips.
const DUMP_ARGS = ["--no-owner", "--no-privileges", "--rows-per-insert=1000"];

/**
 * Writes a dump of the source to file, which must not exist yet; returns its size in bytes.
 * onStart is called once the file is created and the dump is under way.
 */
export async function backupDatabase(source: BackupSource, file: string, options: { onStart?(): void } = {}): Promise<number> {
  if ("pgliteDir" in source && !existsSync(path.join(source.pgliteDir, "PG_VERSION"))) {
    throw new BackupError(`There is no embedded database in ${source.pgliteDir} to back up (set DATABASE_URL to back up PostgreSQL).`);
  }
  let output: FileHandle;
  try {
    // "wx": an existing file, even one created a moment ago by someone else, is never overwritten.
    output = await open(file, "wx", 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") throw new BackupError(`${file} exists already; choose another name or move it away (backups never overwrite).`);
    if (code === "ENOENT") throw new BackupError(`Cannot create ${file}: its folder does not exist.`);
    throw error;
  }
  const onStart = options.onStart ?? (() => undefined);
  try {
    if ("pgliteDir" in source) await dumpEmbedded(source.pgliteDir, output, onStart);
    else await dumpPostgres(source.databaseUrl, output, onStart);
  } catch (error) {
    // Half a dump restores into half a database: only a complete one may stay behind.
    await output.close();
    await rm(file, { force: true });
    throw error;
  }
  const { size } = await output.stat();
  await output.close();
  return size;
}

async function dumpEmbedded(dataDir: string, output: FileHandle, onStart: () => void): Promise<void> {
  // Loaded only here: both are large Wasm modules, and a PostgreSQL backup needs neither.
  const { PGlite } = await import("@electric-sql/pglite");
  const { pgDump } = await import("@electric-sql/pglite-tools/pg_dump");
  const { pg_trgm } = await import("@electric-sql/pglite/contrib/pg_trgm");
  // The same extensions as the server's instance: the dump includes the trigram index on key names.
  const pg = await PGlite.create(dataDir, { extensions: { pg_trgm } });
  try {
    // pgDump deletes every line of the dump that starts with \restrict or \unrestrict, data
    // included: a key named "x\n\restrict" would lose a line of its text. With this setting
    // pg_dump doubles each backslash inside string literals (and says so at the top of the
    // dump), so no line of data can start with a lone backslash. pg_dump reads it from the
    // session, which pgDump shares with this connection.
    await pg.exec("SET standard_conforming_strings = off");
    onStart();
    // pglite-tools appends --inserts itself, which keeps the rows per insert given here.
    const dump = await pgDump({ pg, args: DUMP_ARGS });
    await output.writeFile(Buffer.from(await dump.arrayBuffer()));
    await output.sync();
  } finally {
    await pg.close();
  }
}

async function dumpPostgres(databaseUrl: string, output: FileHandle, onStart: () => void): Promise<void> {
  // The password goes to pg_dump through its environment, not its command line, where every
  // user of the machine could read it in the process list.
  const url = new URL(databaseUrl);
  const password = url.password ? decodeURIComponent(url.password) : url.searchParams.get("password");
  url.password = "";
  url.searchParams.delete("password");
  const env = password ? { ...process.env, PGPASSWORD: password } : process.env;
  const child = spawn("pg_dump", [...DUMP_ARGS, url.toString()], { env, stdio: ["ignore", output.fd, "pipe"] });
  child.on("spawn", onStart);
  let stderr = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", resolve);
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== "ENOENT") throw error;
    throw new BackupError(
      `pg_dump is not on PATH: install PostgreSQL's client tools (Debian: apt-get install postgresql-client), or run \`pg_dump ${DUMP_ARGS.join(" ")} --file FILE "$DATABASE_URL"\` where it is.`,
    );
  });
  if (code !== 0) {
    const lines = stderr
      .split("\n")
      .map((line) => line.trim())
      .filter(Boolean);
    const reason = (lines.find((line) => line.includes("error:")) ?? lines[0] ?? `exit code ${code}`).replace(/^pg_dump: (error: )?/, "");
    throw new Error(`pg_dump: ${password ? reason.replaceAll(password, "***") : reason}`);
  }
  await output.sync();
}
