import { randomBytes } from "node:crypto";

import pg from "pg";

import { startEmbeddedDatabase } from "../../lib/db/embedded";

// Where integration tests get their databases (DESIGN.md section 12): TEST_DATABASE_URL,
// else the local PostgreSQL when it answers, else an in-memory PGlite. Every call makes a
// new, empty database, so runs and tests never see each other's rows.

const LOCAL_POSTGRES = "postgresql://postgres@127.0.0.1:5432/test";

export interface TestDatabase {
  url: string;
  kind: "postgres" | "pglite";
  drop(): Promise<void>;
}

async function answers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query("SELECT 1");
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

let serverUrl: Promise<string | null> | undefined;

export function testServerUrl(): Promise<string | null> {
  serverUrl ??= (async () => {
    if (process.env.TEST_DATABASE_URL) return process.env.TEST_DATABASE_URL;
    return (await answers(LOCAL_POSTGRES)) ? LOCAL_POSTGRES : null;
  })();
  return serverUrl;
}

/** An in-memory PGlite of its own, as the embedded default runs it. */
export async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const embedded = await startEmbeddedDatabase();
  return { url: embedded.url, kind: "pglite", drop: () => embedded.stop() };
}

export async function createTestDatabase(prefix = "keyhold_test"): Promise<TestDatabase> {
  const base = await testServerUrl();
  if (!base) return createEmbeddedTestDatabase();
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    kind: "postgres",
    async drop() {
      const client = new pg.Client({ connectionString: base });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
