import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { createDb, type Db } from "../../lib/db/client";
import { startEmbeddedDatabase } from "../../lib/db/embedded";
import { migrate } from "../../lib/db/migrate";
import { KeyCache } from "../../lib/keys/cache";
import { getKey, issueKey, revokeKey, rotateKey } from "../../lib/keys/service";
import { KeyVerifier } from "../../lib/keys/verify";
import { RateLimiter } from "../../lib/ratelimit/limiter";
import { createScope } from "../../lib/scopes/service";
import { UsageRecorder } from "../../lib/usage/recorder";
import { createUser } from "../../lib/users/service";
import { expectOneLineError, expectSuccess, type Run } from "../helpers/cli-run";
import { createTestDatabase, testServerUrl, type TestDatabase } from "../helpers/test-database";

// `npm run db:backup` and `npm run db:restore`, run as a person would run them: separate
// processes, judged by exit code, output and the rows they leave. A backup of the embedded
// database restores row for row into a new data folder and into PostgreSQL (the move people make
// when they outgrow one machine), a pg_dump backup into another PostgreSQL, and after each the
// migration runner has nothing to do and the app's services work on the copy.

const ROOT = path.resolve(import.meta.dirname, "../..");
const CLI: Actor = { type: "cli", id: null };
const BASE = Date.UTC(2026, 10, 23, 12, 0, 0);
// Everything a dump must carry through quoting intact: quotes, a semicolon, lines that start
// like psql meta-commands, dollar quotes, comment markers and characters beyond ASCII.
const ODD_NAME = 'it\'s "odd"; DROP TABLE x;\n\\restrict k3y\n\\unrestrict k3y\n$$ -- /* ü 🔑 \\';
const PASSWORD = "s3cret-pw-never-printed";

function runScript(script: "db-backup" | "db-restore", args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: undefined,
    KEYHOLD_DATA_DIR: undefined,
    KEYHOLD_DEBUG: undefined,
    INIT_CWD: undefined,
    ...env,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", `scripts/${script}.ts`, ...args], {
      cwd: ROOT,
      env: merged as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const temporary: string[] = [];

function tempDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyhold-backup-"));
  temporary.push(dir);
  return dir;
}

interface Seeded {
  keys: Record<"active" | "odd" | "original" | "rotated" | "revoked", { id: string; key: string }>;
}

// Through the services the API uses, so the rows and audit entries are the ones real use makes.
async function seed(db: Db): Promise<Seeded> {
  await createScope(db, { name: "orders:read", description: "Read orders" }, CLI);
  const owner = await createUser(db, { email: "owner@example.com", name: "Öwner", password: "correct horse battery", role: "OWNER" }, CLI);
  const actor: Actor = { type: "user", id: owner.id, role: "OWNER" };
  const active = await issueKey(
    db,
    {
      name: "Deploy bot",
      ownerId: "acct_1",
      scopes: ["orders:read", "keys:read"],
      meta: { team: "ops", nested: { list: [1, 2.5, null], text: "a\nb\\c" } },
      expiresAt: new Date(Date.now() + 30 * 86_400_000),
      ratelimit: { limit: 100, windowMs: 60_000 },
      remaining: 50,
    },
    actor,
  );
  const odd = await issueKey(db, { name: ODD_NAME, environment: "test" }, CLI);
  const original = await issueKey(db, { name: "to rotate" }, CLI);
  const rotated = await rotateKey(db, original.record.id, { gracePeriodSeconds: 3_600 }, actor);
  const revoked = await issueKey(db, { name: "to revoke" }, CLI);
  await revokeKey(db, revoked.record.id, "leaked in a log", actor);
  // Spends one of the quota and opens a rate-limit window, as a real request would.
  expect(await new KeyVerifier(db, new KeyCache(), new RateLimiter(db)).verify(active.key, ["orders:read"])).toMatchObject({ valid: true, remaining: 49 });

  const usage = new UsageRecorder(db);
  const keyIds = [active.record.id, odd.record.id, rotated.record.id, null];
  for (let i = 0; i < 40; i++) {
    usage.record({
      keyId: keyIds[i % keyIds.length],
      outcome: i % 4 === 3 ? "invalid_key" : "valid",
      method: i % 2 ? "POST" : "GET",
      path: `/api/v1/orders/${i}`,
      status: i % 4 === 3 ? 401 : 200,
      latencyMs: 0.1 + i / 7,
      ip: i % 3 ? "203.0.113.7" : null,
      at: new Date(BASE + i * 20_000),
    });
  }
  await usage.stop();
  const pair = (issued: { record: { id: string }; key: string }) => ({ id: issued.record.id, key: issued.key });
  return { keys: { active: pair(active), odd: pair(odd), original: pair(original), rotated: pair(rotated), revoked: pair(revoked) } };
}

type Snapshot = Record<string, string[]>;

/** Every row of every table in public, the sequences, and the shape of the schema. */
async function snapshot(url: string): Promise<Snapshot> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query("SET TimeZone = 'UTC'");
    const list = async (sql: string) => (await client.query<{ line: string }>(sql)).rows.map((row) => row.line).sort();
    const result: Snapshot = {};
    const { rows: tables } = await client.query<{ tablename: string }>("SELECT tablename FROM pg_tables WHERE schemaname = 'public'");
    for (const { tablename } of tables) {
      result[`rows of ${tablename}`] = await list(`SELECT to_jsonb(t)::text AS line FROM public."${tablename}" t`);
    }
    result.sequences = await list("SELECT sequencename || ' ' || last_value AS line FROM pg_sequences WHERE schemaname = 'public'");
    result.columns = await list(
      `SELECT concat_ws(' ', table_name, column_name, data_type, is_nullable, column_default) AS line
       FROM information_schema.columns WHERE table_schema = 'public'`,
    );
    result.indexes = await list("SELECT indexdef AS line FROM pg_indexes WHERE schemaname = 'public'");
    // contype n: PostgreSQL 18 lists NOT NULL as constraints too, older ones do not; the
    // columns above hold nullability for both.
    result.constraints = await list(
      `SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) AS line
       FROM pg_constraint WHERE connamespace = 'public'::regnamespace AND contype <> 'n'`,
    );
    result.enums = await list(
      `SELECT t.typname || ': ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) AS line
       FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid WHERE t.typnamespace = 'public'::regnamespace GROUP BY t.typname`,
    );
    return result;
  } finally {
    await client.end();
  }
}

async function tableCount(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_tables WHERE schemaname = 'public'");
    return rows[0].n;
  } finally {
    await client.end();
  }
}

/** Opens an embedded data folder the way the server does, for as long as work runs. */
async function withEmbedded<T>(dataDir: string, work: (url: string) => Promise<T>): Promise<T> {
  const embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
  try {
    return await work(embedded.url);
  } finally {
    await embedded.stop();
  }
}

/** The copy at url holds exactly what the source held, needs no migration, and the app works on it. */
async function expectWorkingCopy(url: string, source: Snapshot, seeded: Seeded): Promise<void> {
  expect(await snapshot(url)).toEqual(source);
  expect((await migrate(url)).applied).toEqual([]);
  const db = createDb(url, 2);
  try {
    const { keys } = seeded;
    expect((await getKey(db, keys.odd.id)).name).toBe(ODD_NAME);
    expect((await getKey(db, keys.original.id)).expiresAt).not.toBeNull();
    expect((await getKey(db, keys.rotated.id)).rotatedFromId).toBe(keys.original.id);
    const verifier = new KeyVerifier(db, new KeyCache(), new RateLimiter(db));
    expect(await verifier.verify(keys.active.key, ["orders:read"])).toMatchObject({ valid: true, remaining: 48 });
    expect(await verifier.verify(keys.odd.key)).toMatchObject({ valid: true, key: { name: ODD_NAME, environment: "test" } });
    // Rotated with an hour's grace: both the old and the new key still work.
    expect(await verifier.verify(keys.original.key)).toMatchObject({ valid: true });
    expect(await verifier.verify(keys.rotated.key)).toMatchObject({ valid: true });
    expect(await verifier.verify(keys.revoked.key)).toMatchObject({ valid: false, code: "revoked_key" });
    // New rows continue the restored sequences instead of colliding with restored ids.
    const { _max } = await db.auditLog.aggregate({ _max: { id: true } });
    const fresh = await issueKey(db, { name: "after the restore" }, CLI);
    const audit = await db.auditLog.findFirstOrThrow({ where: { targetId: fresh.record.id } });
    expect(audit.id).toBeGreaterThan(_max.id!);
  } finally {
    await db.$disconnect();
  }
}

const sourceDir = tempDir();
let embeddedSource: { snapshot: Snapshot; seeded: Seeded };
let postgres: { database: TestDatabase; snapshot: Snapshot; seeded: Seeded } | null = null;
const databases: TestDatabase[] = [];

async function emptyPostgres(): Promise<string> {
  const database = await createTestDatabase("keyhold_restore");
  databases.push(database);
  return database.url;
}

function withPassword(url: string): string {
  const parsed = new URL(url);
  // Trust authentication ignores it; what matters is that no output ever shows it.
  parsed.password = PASSWORD;
  return parsed.toString();
}

let embeddedBackup: Promise<{ run: Run; file: string }> | undefined;

function backUpEmbedded() {
  embeddedBackup ??= (async () => {
    const file = path.join(tempDir(), "embedded.sql");
    return { file, run: await runScript("db-backup", [file], { KEYHOLD_DATA_DIR: sourceDir }) };
  })();
  return embeddedBackup;
}

beforeAll(async () => {
  embeddedSource = await withEmbedded(sourceDir, async (url) => {
    await migrate(url);
    const db = createDb(url, 2);
    try {
      return { seeded: await seed(db), snapshot: await snapshot(url) };
    } finally {
      await db.$disconnect();
    }
  });
  if (await testServerUrl()) {
    const database = await createTestDatabase("keyhold_backup");
    databases.push(database);
    await migrate(database.url);
    const db = createDb(database.url, 2);
    try {
      postgres = { database, seeded: await seed(db), snapshot: await snapshot(database.url) };
    } finally {
      await db.$disconnect();
    }
  }
}, 180_000);

afterAll(async () => {
  for (const database of databases) await database.drop().catch(() => undefined);
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

// One after the other: several cases use the seeded data folder, which one process at a time may open.
describe("npm run db:backup and db:restore", { timeout: 240_000 }, () => {
  it("backs up the embedded database and restores it into a new data folder, row for row", async () => {
    const { run, file } = await backUpEmbedded();
    expectSuccess(run);
    const bytes = statSync(file).size;
    expect(run.stdout).toBe(`Backing up the embedded database in ${path.join(sourceDir, "pglite")} to ${file}...\nWrote ${file} (${bytes} bytes).\n`);
    const dump = readFileSync(file, "utf8");
    // Restorable without psql and on any PostgreSQL: INSERTs, no COPY blocks, no owners or grants.
    expect(dump).toContain("INSERT INTO public.api_keys VALUES");
    expect(dump).not.toMatch(/^COPY /m);
    expect(dump).not.toMatch(/^(ALTER .* OWNER TO|GRANT|REVOKE) /m);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const target = tempDir();
    const restore = await runScript("db-restore", [file], { KEYHOLD_DATA_DIR: target });
    expectSuccess(restore);
    const lines = restore.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe(`Restoring ${file} (${bytes} bytes) into the embedded database in ${path.join(target, "pglite")}...`);
    expect(lines.at(-1)).toBe(
      `Restored 5 keys, 1 user, 40 usage events, ${embeddedSource.snapshot["rows of usage_rollups"].length} usage rollups, ` +
        `${embeddedSource.snapshot["rows of audit_logs"].length} audit entries into the embedded database in ${path.join(target, "pglite")}.`,
    );
    expect(existsSync(path.join(target, "keyhold.pid"))).toBe(false);
    await withEmbedded(target, (url) => expectWorkingCopy(url, embeddedSource.snapshot, embeddedSource.seeded));
  });

  it("restores an embedded backup into an empty PostgreSQL database, where nothing is left to migrate", async (context) => {
    if (!postgres) return context.skip("no PostgreSQL server to restore into");
    const { run, file } = await backUpEmbedded();
    expectSuccess(run);
    const url = await emptyPostgres();
    const restore = await runScript("db-restore", [file], { DATABASE_URL: withPassword(url) });
    expectSuccess(restore);
    const target = new URL(url);
    expect(restore.stdout).toContain(`into PostgreSQL at ${target.host}${target.pathname}.`);
    expect(restore.stdout).not.toContain(PASSWORD);
    await expectWorkingCopy(url, embeddedSource.snapshot, embeddedSource.seeded);
  });

  it("backs up PostgreSQL with pg_dump to a default file name and restores it into another PostgreSQL", async (context) => {
    if (!postgres) return context.skip("no PostgreSQL server to back up");
    // As `npm run db:backup` from another folder: npm names that folder in INIT_CWD.
    const folder = tempDir();
    const run = await runScript("db-backup", [], { DATABASE_URL: withPassword(postgres.database.url), INIT_CWD: folder });
    expectSuccess(run);
    expect(run.stdout).not.toContain(PASSWORD);
    const [name] = readdirSync(folder);
    expect(name).toMatch(/^keyhold-backup-\d{8}T\d{6}Z\.sql$/);
    const file = path.join(folder, name);
    expect(run.stdout).toContain(`Wrote ${file} (${statSync(file).size} bytes).`);
    const dump = readFileSync(file, "utf8");
    expect(dump).not.toMatch(/^COPY /m);
    expect(dump).not.toContain(PASSWORD);

    const url = await emptyPostgres();
    const restore = await runScript("db-restore", [file], { DATABASE_URL: url });
    expectSuccess(restore);
    expect(restore.stdout).toMatch(/Restored 5 keys, 1 user, 40 usage events, \d+ usage rollups, \d+ audit entries into PostgreSQL at /);
    await expectWorkingCopy(url, postgres.snapshot, postgres.seeded);
  });

  it("refuses to restore into a database that has tables, and changes nothing", async () => {
    const { file } = await backUpEmbedded();
    const embedded = await runScript("db-restore", [file], { KEYHOLD_DATA_DIR: sourceDir });
    expectOneLineError(
      embedded,
      1,
      /the embedded database in .* is not empty: it has \d+ tables \(_prisma_migrations, [a-z_]+, [a-z_]+, \.\.\.\)\. Restore only into an empty database; nothing changed\.$/,
    );
    expect(await withEmbedded(sourceDir, snapshot)).toEqual(embeddedSource.snapshot);

    if (!postgres) return;
    const onPostgres = await runScript("db-restore", [file], { DATABASE_URL: postgres.database.url });
    expectOneLineError(onPostgres, 1, /PostgreSQL at .* is not empty: it has \d+ tables/);
    expect(await snapshot(postgres.database.url)).toEqual(postgres.snapshot);
  });

  it("refuses a backup file that does not exist without creating a data folder", async () => {
    const dataDir = path.join(tempDir(), "new-data");
    const missing = path.join(tempDir(), "no-such-backup.sql");
    const run = await runScript("db-restore", [missing], { KEYHOLD_DATA_DIR: dataDir });
    expectOneLineError(run, 1, new RegExp(`^error: ${missing.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} does not exist\\.$`));
    expect(existsSync(dataDir)).toBe(false);

    const usage = await runScript("db-restore", [], { KEYHOLD_DATA_DIR: dataDir });
    expectOneLineError(usage, 1, /db:restore takes one FILE/);
  });

  it("refuses to back up where no embedded database was ever started, without creating a data folder", async () => {
    const dataDir = path.join(tempDir(), "never-started");
    const file = path.join(tempDir(), "nothing.sql");
    const run = await runScript("db-backup", [file], { KEYHOLD_DATA_DIR: dataDir });
    expectOneLineError(run, 1, /There is no embedded database in .*never-started\/pglite to back up \(set DATABASE_URL to back up PostgreSQL\)\.$/);
    expect(existsSync(dataDir)).toBe(false);
    expect(existsSync(file)).toBe(false);
  });

  it("refuses to back up or restore while another live process holds the data folder", async () => {
    const { file: dump } = await backUpEmbedded();
    const holder: ChildProcess = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], { stdio: "ignore" });
    const pidFile = path.join(sourceDir, "keyhold.pid");
    try {
      writeFileSync(pidFile, String(holder.pid));
      const file = path.join(tempDir(), "locked.sql");
      const backup = await runScript("db-backup", [file], { KEYHOLD_DATA_DIR: sourceDir });
      expectOneLineError(backup, 1, new RegExp(`is in use by another Keyhold process \\(pid ${holder.pid}\\); stop it first, then run the backup again\\.$`));
      expect(existsSync(file)).toBe(false);

      const restore = await runScript("db-restore", [dump], { KEYHOLD_DATA_DIR: sourceDir });
      expectOneLineError(restore, 1, new RegExp(`\\(pid ${holder.pid}\\); stop it first, then run the restore again\\.$`));
      // The lock is the other process's: still in place, with its pid.
      expect(readFileSync(pidFile, "utf8")).toBe(String(holder.pid));
    } finally {
      holder.kill();
      rmSync(pidFile, { force: true });
    }
    expect(await withEmbedded(sourceDir, snapshot)).toEqual(embeddedSource.snapshot);
  });

  it("never overwrites an existing file", async () => {
    const file = path.join(tempDir(), "precious.sql");
    writeFileSync(file, "precious\n");
    const run = await runScript("db-backup", [file], { KEYHOLD_DATA_DIR: sourceDir });
    expectOneLineError(run, 1, /precious\.sql exists already; choose another name or move it away \(backups never overwrite\)\.$/);
    expect(readFileSync(file, "utf8")).toBe("precious\n");
    expect(existsSync(path.join(sourceDir, "keyhold.pid"))).toBe(false);
  });

  it("rolls a failing restore back completely", async () => {
    const { file } = await backUpEmbedded();
    const broken = path.join(tempDir(), "broken.sql");
    const dump = readFileSync(file, "utf8");
    writeFileSync(broken, `${dump}\nSELECT no_such_column FROM public.api_keys;\n`);
    const line = dump.split("\n").length + 1;
    const url = postgres ? await emptyPostgres() : null;
    const dataDir = tempDir();
    const run = await runScript("db-restore", [broken], url ? { DATABASE_URL: url } : { KEYHOLD_DATA_DIR: dataDir });
    expect(run.code, run.stderr).toBe(2);
    const lines = run.stderr.split("\n").filter(Boolean);
    expect(lines.at(-1)).toMatch(
      new RegExp(`^error: restore failed: .*broken\\.sql, line ${line}: column "no_such_column" does not exist; nothing was restored`),
    );
    expect(url ? await tableCount(url) : await withEmbedded(dataDir, tableCount)).toBe(0);
  });

  it("explains the pg_dump command when pg_dump is not installed, without printing the password", async () => {
    const url = withPassword(postgres?.database.url ?? "postgresql://postgres@127.0.0.1:5432/keyhold");
    const file = path.join(tempDir(), "no-pg-dump.sql");
    // Node is started by its full path; PATH only decides whether pg_dump is found.
    const run = await runScript("db-backup", [file], { DATABASE_URL: url, PATH: tempDir() });
    expectOneLineError(run, 1, /pg_dump is not on PATH: .*`pg_dump --no-owner --no-privileges --rows-per-insert=1000 --file FILE "\$DATABASE_URL"`/);
    expect(run.stderr).not.toContain(PASSWORD);
    expect(existsSync(file)).toBe(false);
  });
});
