import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import pg from "pg";
import { describe, expect, it, onTestFinished, vi } from "vitest";

import { migrate, MigrationError } from "../../lib/db/migrate";
import { createTestDatabase } from "../helpers/test-database";

// DESIGN.md section 10: lib/db/migrate.ts must leave _prisma_migrations exactly as
// `prisma migrate deploy` would, apply each migration once even when instances start together,
// and never half-apply a migration.

// libuv sorts directory listings on Unix, so a real folder can never hand the runner an unsorted
// listing; this switch lets one test reverse what readdirSync returns, inside migrate.ts too.
const listing = vi.hoisted(() => ({ reversed: false }));
vi.mock("node:fs", async (importOriginal) => {
  const actual = await importOriginal<typeof import("node:fs")>();
  const readdirSync = ((...args: unknown[]) => {
    const entries = (actual.readdirSync as (...args: unknown[]) => unknown[])(...args);
    return listing.reversed ? [...entries].reverse() : entries;
  }) as typeof actual.readdirSync;
  return { ...actual, default: { ...actual, readdirSync }, readdirSync };
});

const REAL_MIGRATIONS = path.resolve(import.meta.dirname, "../../prisma/migrations");

interface MigrationRow {
  id: string;
  migration_name: string;
  checksum: string;
  started_at: Date;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  applied_steps_count: number;
  logs: string | null;
}

// A private database per test, so no test can pass because of what another one left behind.
async function freshDatabase(): Promise<string> {
  const database = await createTestDatabase("keyhold_migrate");
  onTestFinished(() => database.drop());
  return database.url;
}

function tempMigrationsDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keyhold-migrations-"));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

function writeMigration(dir: string, name: string, sql: string): void {
  mkdirSync(path.join(dir, name), { recursive: true });
  writeFileSync(path.join(dir, name, "migration.sql"), sql);
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function migrationRows(url: string): Promise<MigrationRow[]> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<MigrationRow>(
      `SELECT id, migration_name, checksum, started_at, finished_at, rolled_back_at, applied_steps_count, logs
       FROM "_prisma_migrations" ORDER BY migration_name, started_at`,
    );
    return rows;
  });
}

async function tableExists(url: string, table: string): Promise<boolean> {
  return withClient(url, async (client) => {
    const { rows } = await client.query<{ exists: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS exists`, [`public."${table}"`]);
    return rows[0].exists;
  });
}

// Computed here from the files, not with readMigrations(), so the test checks the format Prisma
// expects rather than the runner agreeing with itself.
function sha256OfFile(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(MigrationError);
    return error as Error;
  }
  throw new Error("expected migrate() to reject, but it resolved");
}

describe("migrate()", () => {
  it("applies the real migrations to an empty database and records them like prisma migrate deploy", async () => {
    const url = await freshDatabase();
    const names = readdirSync(REAL_MIGRATIONS, { withFileTypes: true })
      .filter((entry) => entry.isDirectory() && existsSync(path.join(REAL_MIGRATIONS, entry.name, "migration.sql")))
      .map((entry) => entry.name)
      .sort();
    expect(names.length).toBeGreaterThan(0);

    const result = await migrate(url, REAL_MIGRATIONS);

    expect(result).toEqual({ applied: names, total: names.length });
    const rows = await migrationRows(url);
    expect(rows.map((row) => row.migration_name)).toEqual(names);
    for (const row of rows) {
      expect(row.checksum).toBe(sha256OfFile(path.join(REAL_MIGRATIONS, row.migration_name, "migration.sql")));
      expect(row.checksum).toMatch(/^[0-9a-f]{64}$/);
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.rolled_back_at).toBeNull();
      expect(row.applied_steps_count).toBe(1);
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
    }
    // The tables of DESIGN.md section 8; schema-drift.test.ts checks their exact shape.
    for (const table of ["users", "api_keys", "scopes", "usage_events", "usage_rollups", "audit_logs"]) {
      expect(await tableExists(url, table), table).toBe(true);
    }
  });

  it("does nothing on a second run", async () => {
    const url = await freshDatabase();
    const first = await migrate(url, REAL_MIGRATIONS);
    const before = await migrationRows(url);

    const second = await migrate(url, REAL_MIGRATIONS);

    expect(second).toEqual({ applied: [], total: first.total });
    expect(await migrationRows(url)).toEqual(before);
  });

  it("applies each migration exactly once when two runners start at the same moment", async () => {
    const url = await freshDatabase();
    const dir = tempMigrationsDir();
    // CREATE TABLE without IF NOT EXISTS fails if run twice, and the sleep keeps the first
    // runner inside the migration long enough for the second to reach the same point.
    writeMigration(dir, "20000101000000_slow", `CREATE TABLE "once_only" ("id" INTEGER);\nSELECT pg_sleep(0.5);\n`);
    writeMigration(dir, "20000101000001_after", `CREATE TABLE "after_once" ("id" INTEGER);\n`);

    const results = await Promise.all([migrate(url, dir), migrate(url, dir)]);

    expect(results.map((result) => result.total)).toEqual([2, 2]);
    expect(results.flatMap((result) => result.applied).sort()).toEqual(["20000101000000_slow", "20000101000001_after"]);
    const rows = await migrationRows(url);
    expect(rows.map((row) => row.migration_name)).toEqual(["20000101000000_slow", "20000101000001_after"]);
    expect(rows.every((row) => row.finished_at !== null && row.applied_steps_count === 1)).toBe(true);
  });

  // PostgreSQL parses a whole query string before running any of it, so with a syntax error the
  // CREATE TABLE never even runs; the second case fails at execution, after the CREATE TABLE has
  // run, so it has to be undone.
  it.each([
    { failure: "a syntax error", statement: "THIS IS NOT SQL;", reason: /syntax error/ },
    { failure: "an execution error", statement: `INSERT INTO "no_such_table" VALUES (1);`, reason: /no_such_table/ },
  ])("rolls back a migration failing with $failure completely and keeps the earlier ones", async ({ statement, reason }) => {
    const url = await freshDatabase();
    const dir = tempMigrationsDir();
    writeMigration(dir, "20000101000000_good", `CREATE TABLE "good_table" ("id" INTEGER);\n`);
    writeMigration(dir, "20000101000001_broken", `CREATE TABLE "half_done" ("id" INTEGER);\n${statement}\n`);
    writeMigration(dir, "20000101000002_later", `CREATE TABLE "later_table" ("id" INTEGER);\n`);

    const error = await rejection(migrate(url, dir));

    expect(error.message).toContain("20000101000001_broken");
    expect(error.message).toMatch(reason);
    expect(await tableExists(url, "good_table")).toBe(true);
    expect(await tableExists(url, "half_done")).toBe(false);
    expect(await tableExists(url, "later_table")).toBe(false);
    const rows = await migrationRows(url);
    expect(rows.map((row) => row.migration_name)).toEqual(["20000101000000_good"]);

    // Nothing was recorded as failed, so fixing the file is all it takes to continue.
    writeMigration(dir, "20000101000001_broken", `CREATE TABLE "half_done" ("id" INTEGER);\n`);
    expect(await migrate(url, dir)).toEqual({ applied: ["20000101000001_broken", "20000101000002_later"], total: 3 });
    expect(await tableExists(url, "later_table")).toBe(true);
  });

  it("refuses to run when an applied migration was modified, and changes nothing", async () => {
    const url = await freshDatabase();
    const dir = tempMigrationsDir();
    writeMigration(dir, "20000101000001_first", `CREATE TABLE "first_table" ("id" INTEGER);\n`);
    await migrate(url, dir);
    const before = await migrationRows(url);

    writeMigration(dir, "20000101000001_first", `CREATE TABLE "first_table" ("id" INTEGER, "extra" TEXT);\n`);
    // Pending migrations on both sides of the modified one: neither may run, including the one
    // that sorts first (as a migration merged from another branch would).
    writeMigration(dir, "20000101000000_earlier", `CREATE TABLE "earlier_table" ("id" INTEGER);\n`);
    writeMigration(dir, "20000101000002_later", `CREATE TABLE "later_table" ("id" INTEGER);\n`);

    const error = await rejection(migrate(url, dir));

    expect(error.message).toContain("20000101000001_first");
    expect(error.message).toMatch(/modified/);
    expect(await migrationRows(url)).toEqual(before);
    expect(await tableExists(url, "earlier_table")).toBe(false);
    expect(await tableExists(url, "later_table")).toBe(false);
    const columns = await withClient(url, async (client) => {
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'first_table'`,
      );
      return rows.map((row) => row.column_name);
    });
    expect(columns).toEqual(["id"]);
  });

  it("applies migrations in name order, not directory-listing order", async () => {
    const url = await freshDatabase();
    const dir = tempMigrationsDir();
    const names = ["20000101000000_a", "20000101000001_b", "20000101000002_c", "20000101000003_d", "20000101000004_e", "20000101000005_f"];
    // The first migration creates the log the others append to, so any other order fails
    // outright or leaves the log out of order.
    const sqlFor = (name: string) =>
      name === names[0]
        ? `CREATE TABLE "apply_log" ("seq" SERIAL PRIMARY KEY, "name" TEXT NOT NULL);\nINSERT INTO "apply_log" ("name") VALUES ('${name}');\n`
        : `INSERT INTO "apply_log" ("name") VALUES ('${name}');\n`;
    for (const name of names) writeMigration(dir, name, sqlFor(name));
    listing.reversed = true;
    onTestFinished(() => {
      listing.reversed = false;
    });
    expect(readdirSync(dir)).toEqual([...names].reverse());

    const result = await migrate(url, dir);

    expect(result.applied).toEqual(names);
    const log = await withClient(url, async (client) => {
      const { rows } = await client.query<{ name: string }>(`SELECT "name" FROM "apply_log" ORDER BY "seq"`);
      return rows.map((row) => row.name);
    });
    expect(log).toEqual(names);
  });
});
