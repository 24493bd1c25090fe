import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";

import { existingProcessSingleton, processSingleton } from "../process/process-singleton";
import { onShutdown } from "../process/shutdown";
import { isEmbeddedUrl } from "./embedded-url";
import { PrismaClient } from "./generated/client";

export type Db = PrismaClient;

export interface PoolStats {
  total: number;
  idle: number;
  waiting: number;
}

// The pool behind each client, kept where the metrics endpoint can read its counts (the
// adapter keeps a pool it creates itself private). One map per process: the client may be
// created by the server's copy of this module and read by a route bundle's copy.
const pools = processSingleton("keyholdDbPools", () => new WeakMap<Db, pg.Pool>());

export function createDb(connectionString: string, poolSize = 10): Db {
  // adapter-pg sends and reads timestamps without their offset (prisma/orm#26786), so every
  // session runs in UTC: otherwise a server whose database defaults to, say, Europe/Berlin
  // would shift every stored time by its offset.
  // PGlite is one session, and pglite-socket interleaves the messages of queries that arrive on
  // different connections at once (electric-sql/pglite#1046): a query could get another's rows,
  // and a valid key came back unknown under load. It runs one statement at a time anyway, so one
  // connection costs nothing and keeps each query whole.
  const max = isEmbeddedUrl(connectionString) ? 1 : poolSize;
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5_000, options: "-c TimeZone=UTC" });
  // disposeExternalPool: $disconnect() ends the pool, as it does a pool the adapter made itself.
  const db = new PrismaClient({ adapter: new PrismaPg(pool, { disposeExternalPool: true }) });
  pools.set(db, pool);
  return db;
}

// One client per process, so Next's dev reloads do not open a new pool each time.
export function getDb(): Db {
  return processSingleton("keyholdDb", () => {
    const url = process.env.DATABASE_URL;
    if (!url) throw new Error("DATABASE_URL is not set: start Keyhold through `npm start` or `npm run dev`");
    const db = createDb(url);
    onShutdown("close", () => db.$disconnect());
    return db;
  });
}

/** Connection counts of the process's pool; null until getDb() has made one. */
export function getPoolStats(): PoolStats | null {
  const db = existingProcessSingleton<Db>("keyholdDb");
  const pool = db && pools.get(db);
  return pool ? { total: pool.totalCount, idle: pool.idleCount, waiting: pool.waitingCount } : null;
}
