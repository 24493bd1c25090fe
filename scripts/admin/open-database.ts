// The admin CLI's database, opened through lib/db/open-database.ts with migrations applied, and
// whether the embedded database is open: stopping PGlite midway through a write could damage it.
import path from "node:path";
import type { Db } from "../../lib/db/client";
import { DataDirInUseError, openDatabase } from "../../lib/db/open-database";
import { UsageError } from "../cli/run-command";

const root = path.resolve(import.meta.dirname, "../..");

let embeddedOpen = false;

export function isEmbeddedOpen(): boolean {
  return embeddedOpen;
}

export async function openCliDatabase(databaseUrl: string | undefined, dataDirSetting: string): Promise<{ db: Db; close(): Promise<void> }> {
  embeddedOpen = !databaseUrl;
  try {
    // Resolved like the launcher does (scripts/start.ts), so both find the same folder.
    const database = await openDatabase({ databaseUrl, dataDir: path.resolve(root, dataDirSetting), migrations: path.join(root, "prisma", "migrations") });
    return {
      db: database.client(2),
      async close() {
        await database.close();
        embeddedOpen = false;
      },
    };
  } catch (error) {
    embeddedOpen = false;
    // The server holds the embedded database; PGlite would be corrupted by a second process.
    if (error instanceof DataDirInUseError) throw new UsageError(error.message);
    throw error;
  }
}
