import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";

import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";

import { EMBEDDED_SOCKET_PREFIX, embeddedUrl } from "./embedded-url";
import { initializePgliteDataDir } from "./initialize-pglite";
import { preparePglite } from "./pglite-settings";

// The embedded database: PGlite served over the Postgres wire protocol, so the app reaches it
// through the same adapter-pg path as a real PostgreSQL (DESIGN.md section 10). It has no
// password, so it listens on a Unix socket inside a folder only this user may enter (DESIGN.md
// section 15.7), never on a TCP port another local user or process could connect to.

export interface EmbeddedDatabase {
  url: string;
  /** The 0700 folder holding the socket. */
  socketDir: string;
  dataDir: string | null;
  stop(): Promise<void>;
}

// Each client keeps to one connection (lib/db/client.ts); these are for the server, its
// invalidation listener and migrations at once, with room to spare.
const MAX_CONNECTIONS = 64;
// libpq and node-postgres look for `<host folder>/.s.PGSQL.<port>`; 5432 is their default port.
const SOCKET_FILE = ".s.PGSQL.5432";

export async function startEmbeddedDatabase(options: { dataDir?: string } = {}): Promise<EmbeddedDatabase> {
  const dataDir = options.dataDir ?? null;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    initializePgliteDataDir(dataDir);
  }
  // In the system's temporary folder rather than the data folder: a socket path is limited to
  // about 100 bytes. mkdtemp creates the folder 0700.
  const socketDir = mkdtempSync(EMBEDDED_SOCKET_PREFIX);
  // pg_trgm backs key search (a migration creates it); PGlite loads extensions only at creation.
  const settings = { ...preparePglite(), extensions: { pg_trgm } };
  const db = dataDir ? await PGlite.create(dataDir, settings) : await PGlite.create(settings);
  const server = new PGLiteSocketServer({ db, path: path.join(socketDir, SOCKET_FILE), maxConnections: MAX_CONNECTIONS });
  try {
    await server.start();
  } catch (error) {
    await db.close();
    rmSync(socketDir, { recursive: true, force: true });
    throw error;
  }
  let stopped: Promise<void> | undefined;
  return {
    url: embeddedUrl(socketDir),
    socketDir,
    dataDir,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
        rmSync(socketDir, { recursive: true, force: true });
      })();
      return stopped;
    },
  };
}
