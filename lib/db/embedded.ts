import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";
import { initializePgliteDataDir } from "./initialize-pglite";
import { pgliteStartParams } from "./pglite-settings";

// The embedded database: PGlite served over the Postgres wire protocol on loopback, so the
// app reaches it through the same adapter-pg path as a real PostgreSQL (DESIGN.md section 10).

export interface EmbeddedDatabase {
  url: string;
  dataDir: string | null;
  stop(): Promise<void>;
}

// Enough for the app's pool (10), the invalidation listener, migrations and the CLI at once.
const MAX_CONNECTIONS = 64;

export async function startEmbeddedDatabase(options: { dataDir?: string; port?: number } = {}): Promise<EmbeddedDatabase> {
  const dataDir = options.dataDir ?? null;
  if (dataDir) {
    mkdirSync(dataDir, { recursive: true });
    initializePgliteDataDir(dataDir);
  }
  // pg_trgm backs key search (a migration creates it); PGlite loads extensions only at creation.
  const settings = { startParams: pgliteStartParams(), extensions: { pg_trgm } };
  const db = dataDir ? await PGlite.create(dataDir, settings) : await PGlite.create(settings);
  const server = new PGLiteSocketServer({ db, host: "127.0.0.1", port: options.port ?? 0, maxConnections: MAX_CONNECTIONS });
  await server.start();
  const [host, port] = server.getServerConn().split(":");
  let stopped: Promise<void> | undefined;
  return {
    url: `postgresql://postgres@${host}:${port}/postgres?sslmode=disable`,
    dataDir,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.close();
      })();
      return stopped;
    },
  };
}
