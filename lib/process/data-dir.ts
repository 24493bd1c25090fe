import { randomBytes } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

// Files the launcher keeps under KEYHOLD_DATA_DIR (.data by default) for the embedded setup: the
// database itself, the generated session secret and the lock file. Other local users may not
// read any of it (DESIGN.md section 15.7): the folder is 0700 and everything under it 0700/0600.

/** Creates the folder, or tightens one that exists (an older install, a hand-made folder). */
export function secureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  tighten(dir);
}

function tighten(entry: string): void {
  const stat = lstatSync(entry);
  // A symbolic link's target is not ours to change.
  if (stat.isSymbolicLink()) return;
  if (stat.isDirectory()) {
    if ((stat.mode & 0o777) !== 0o700) chmodSync(entry, 0o700);
    for (const child of readdirSync(entry)) tighten(path.join(entry, child));
  } else if ((stat.mode & 0o077) !== 0) {
    chmodSync(entry, stat.mode & 0o700);
  }
}

export function loadOrCreateSecret(dataDir: string): string {
  const file = path.join(dataDir, "nextauth-secret");
  if (existsSync(file)) return readFileSync(file, "utf8").trim();
  secureDataDir(dataDir);
  const secret = randomBytes(32).toString("base64url");
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

// PGlite is a single-process database: two servers on one data folder would corrupt it.
export function lockDataDir(dir: string): () => void {
  secureDataDir(dir);
  const file = path.join(dir, "keyhold.pid");
  if (existsSync(file)) {
    const pid = Number(readFileSync(file, "utf8"));
    if (Number.isInteger(pid) && pid !== process.pid && isAlive(pid)) {
      throw new Error(`${dir} is in use by another Keyhold process (pid ${pid}); stop it first or set DATABASE_URL`);
    }
  }
  writeFileSync(file, String(process.pid), { mode: 0o600 });
  return () => rmSync(file, { force: true });
}
