import path from "node:path";

import { lockDataDir } from "../process/data-dir";
import { createDb, type Db } from "./client";
import type { EmbeddedDatabase } from "./embedded";
import { migrate, type MigrateResult } from "./migrate";

// The one way the launcher, the admin CLI and db:restore reach their database (DESIGN.md section
// 10): DATABASE_URL when set; else the embedded PGlite under the data folder, locked first
// because PGlite is single-process and a second opener would corrupt it. Then, if asked, the
// migrations, and clients that close with it.

/** The data folder is held by another Keyhold process; the message names it. */
export class DataDirInUseError extends Error {}

/** The database was reached but a migration failed, or it could not be reached to migrate. */
export class MigrationError extends Error {}

export interface DatabaseOptions {
  databaseUrl: string | undefined;
  /** KEYHOLD_DATA_DIR, already resolved to an absolute path. */
  dataDir: string;
  /** The migrations folder to apply before anything else; omitted, nothing is migrated. */
  migrations?: string;
}

export interface OpenDatabase {
  url: string;
  /** The embedded database's folder, or null on PostgreSQL. */
  pgliteDir: string | null;
  /** What migrating applied, when migrations were given. */
  migrated: MigrateResult | null;
  /** A Prisma client on this database; close() disconnects it. */
  client(poolSize: number): Db;
  /** Disconnects the clients, stops the embedded database and releases the data folder. */
  close(): Promise<void>;
}

export async function openDatabase(options: DatabaseOptions): Promise<OpenDatabase> {
  let unlock = () => {};
  let embedded: EmbeddedDatabase | undefined;
  let url = options.databaseUrl;
  const pgliteDir = url ? null : path.join(options.dataDir, "pglite");
  const clients: Db[] = [];
  const close = async () => {
    await Promise.all(clients.map((db) => db.$disconnect().catch(() => undefined)));
    await embedded?.stop();
    unlock();
  };
  if (pgliteDir) {
    try {
      unlock = lockDataDir(options.dataDir);
    } catch (error) {
      throw new DataDirInUseError(error instanceof Error ? error.message : String(error));
    }
  }
  try {
    if (pgliteDir) {
      // Loaded only here: PGlite is the heaviest import, and PostgreSQL needs none of it.
      const { startEmbeddedDatabase } = await import("./embedded");
      embedded = await startEmbeddedDatabase({ dataDir: pgliteDir });
      url = embedded.url;
    }
    const databaseUrl = url as string;
    const migrated = options.migrations ? await migrate(databaseUrl, options.migrations).catch(asMigrationError) : null;
    return {
      url: databaseUrl,
      pgliteDir,
      migrated,
      client(poolSize) {
        const db = createDb(databaseUrl, poolSize);
        clients.push(db);
        return db;
      },
      close,
    };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    unlock();
    throw error;
  }
}

function asMigrationError(error: unknown): never {
  throw new MigrationError(error instanceof Error ? error.message : String(error), { cause: error });
}
