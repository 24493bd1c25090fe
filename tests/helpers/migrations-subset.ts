import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { DEFAULT_MIGRATIONS_DIR } from "../../lib/db/migrate";

/**
 * A temporary migrations folder holding the project's migrations whose names `keep` accepts,
 * for building a database of an earlier schema (or migrating up to one migration and no
 * further). `remove` deletes the folder.
 */
export function migrationsSubset(keep: (name: string) => boolean): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(tmpdir(), "keyhold-migrations-"));
  for (const name of readdirSync(DEFAULT_MIGRATIONS_DIR)) {
    if (keep(name)) cpSync(path.join(DEFAULT_MIGRATIONS_DIR, name), path.join(dir, name), { recursive: true });
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
