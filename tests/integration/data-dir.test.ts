import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, beforeEach, describe, expect, it } from "vitest";

import { loadOrCreateSecret, lockDataDir } from "../../lib/process/data-dir";

// Issue 13 item 1 and DESIGN.md section 15.7: `.data/` and everything under it are 0700/0600,
// also when the folder existed before with wider modes (the session secret and the database
// files must not be readable by other local users).

let root: string;

beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), "keyhold-datadir-"));
});

afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

describe("the data folder", () => {
  it("is created 0700, with the lock file and the generated secret 0600", () => {
    const dir = path.join(root, ".data");
    const unlock = lockDataDir(dir);
    loadOrCreateSecret(dir);
    expect(mode(dir)).toBe(0o700);
    expect(mode(path.join(dir, "keyhold.pid"))).toBe(0o600);
    expect(mode(path.join(dir, "nextauth-secret"))).toBe(0o600);
    unlock();
  });

  it("is tightened when it existed with wider modes, everything under it included", () => {
    const dir = path.join(root, ".data");
    mkdirSync(path.join(dir, "pglite", "base"), { recursive: true });
    writeFileSync(path.join(dir, "nextauth-secret"), "an-old-secret-of-enough-length-0123456789\n");
    writeFileSync(path.join(dir, "pglite", "base", "1234"), "table data");
    // A lock left behind by a process that is gone.
    writeFileSync(path.join(dir, "keyhold.pid"), "999999999");
    for (const folder of [dir, path.join(dir, "pglite"), path.join(dir, "pglite", "base")]) chmodSync(folder, 0o755);
    for (const file of ["nextauth-secret", "pglite/base/1234", "keyhold.pid"]) chmodSync(path.join(dir, file), 0o644);

    const unlock = lockDataDir(dir);
    expect(loadOrCreateSecret(dir)).toBe("an-old-secret-of-enough-length-0123456789");
    expect([dir, path.join(dir, "pglite"), path.join(dir, "pglite", "base")].map(mode)).toEqual([0o700, 0o700, 0o700]);
    expect(["nextauth-secret", "pglite/base/1234", "keyhold.pid"].map((file) => mode(path.join(dir, file)))).toEqual([0o600, 0o600, 0o600]);
    unlock();
  });
});
