import { readFileSync } from "node:fs";
import path from "node:path";

import { createDb, type Db } from "../../lib/db/client";

export const E2E_DATABASE_URL_FILE = path.resolve(import.meta.dirname, "..", "..", "test-results", "e2e-database-url");

let db: Db | undefined;

/** The database of the server Playwright runs against (see e2e-server.ts). */
export function e2eDb(): Db {
  db ??= createDb(readFileSync(E2E_DATABASE_URL_FILE, "utf8").trim(), 4);
  return db;
}
