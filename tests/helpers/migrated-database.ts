import pg from "pg";
import { afterAll, beforeAll } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { createEmbeddedTestDatabase, createTestDatabase, type TestDatabase } from "./test-database";

export interface MigratedDatabase {
  readonly database: TestDatabase;
  /** A Prisma client, as the services get one. */
  readonly db: Db;
  /** A plain connection, for what the test does behind the services' back. */
  readonly admin: pg.Client;
}

/**
 * A fresh database of this file's own, migrated, with a client and a plain connection, made
 * before the file's tests and dropped after them. `timezone` sets the database's zone, for
 * tests proving that times do not depend on it; `embedded` makes it a PGlite whatever else
 * answers, for what must hold on the embedded default too.
 */
export function databaseForThisFile(prefix: string, options: { poolSize?: number; timezone?: string; embedded?: boolean } = {}): MigratedDatabase {
  let database: TestDatabase | undefined;
  let db: Db | undefined;
  let admin: pg.Client | undefined;
  beforeAll(async () => {
    database = options.embedded ? await createEmbeddedTestDatabase() : await createTestDatabase(prefix);
    await migrate(database.url);
    admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    if (options.timezone) {
      await admin.query(`DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET timezone TO %L', current_database(), '${options.timezone}'); END $$`);
    }
    db = createDb(database.url, options.poolSize);
  });
  afterAll(async () => {
    await db?.$disconnect();
    await admin?.end();
    await database?.drop();
  });
  const ready = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the test database is made in beforeAll: use it inside a test or hook");
    return value;
  };
  return {
    get database() {
      return ready(database);
    },
    get db() {
      return ready(db);
    },
    get admin() {
      return ready(admin);
    },
  };
}
