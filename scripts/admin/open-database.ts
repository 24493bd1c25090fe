// The admin CLI's database: DATABASE_URL, else the embedded database under the data folder,
// migrated before any command runs.
import path from "node:path";

import { createDb, type Db } from "../../lib/db/client";
import type { EmbeddedDatabase } from "../../lib/db/embedded";
import { migrate } from "../../lib/db/migrate";
import { lockDataDir } from "../../lib/process/data-dir";
import { appRoot } from "../../lib/server/app-root";
import { UsageError } from "../cli/run-command";

// Found, not counted in folders: bundled into the standalone output, this file is scripts/admin.mjs.
const root = appRoot(import.meta.dirname);

export interface OpenDatabase {
  db: Db;
  close(): Promise<void>;
}

let embeddedOpen = false;

/** True while the embedded database is open: stopping PGlite then could damage it. */
export function isEmbeddedOpen(): boolean {
  return embeddedOpen;
}

export async function openDatabase(databaseUrl: string | undefined, dataDirSetting: string): Promise<OpenDatabase> {
  const migrations = path.join(root, "prisma", "migrations");
  if (databaseUrl) {
    await migrate(databaseUrl, migrations);
    const db = createDb(databaseUrl, 2);
    return { db, close: () => db.$disconnect() };
  }
  // Resolved like the launcher does (scripts/start.ts), so both find the same folder.
  const dataDir = path.resolve(root, dataDirSetting);
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir);
  } catch (error) {
    // The server holds the embedded database; PGlite would be corrupted by a second process.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  let embedded: EmbeddedDatabase | undefined;
  try {
    // Loaded only here: PGlite is the heaviest import, and most runs use DATABASE_URL.
    const { startEmbeddedDatabase } = await import("../../lib/db/embedded");
    embeddedOpen = true;
    embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
    await migrate(embedded.url, migrations);
    const db = createDb(embedded.url, 2);
    const running = embedded;
    return {
      db,
      async close() {
        await db.$disconnect().catch(() => undefined);
        await running.stop();
        unlock();
        embeddedOpen = false;
      },
    };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    unlock();
    embeddedOpen = false;
    throw error;
  }
}
