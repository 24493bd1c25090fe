import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../lib/db/embedded";

// Issue 13 item 1: the embedded database has no password, and it listened on 127.0.0.1, so any
// local user could connect, set the OWNER's password hash or insert a root key. It is served
// on a Unix socket in a 0700 folder instead (DESIGN.md section 15.7). The attack is a connection
// attempt from another local user (nobody, uid 65534), which needs this test to run as root.

const NOBODY = 65534;
let dataDir: string;
let embedded: EmbeddedDatabase;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-embedded-"));
  embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
});

afterAll(async () => {
  await embedded?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Where a client connects: the socket file for `?host=/folder`, else host and port. */
function endpoint(url: string): { path: string } | { host: string; port: number } {
  const parsed = new URL(url);
  const folder = parsed.searchParams.get("host");
  if (folder?.startsWith("/")) return { path: path.join(folder, `.s.PGSQL.${parsed.port || 5432}`) };
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}

describe("the embedded database", () => {
  it("answers its own user", async () => {
    const client = new pg.Client({ connectionString: embedded.url });
    await client.connect();
    expect((await client.query("SELECT 1 AS one")).rows).toEqual([{ one: 1 }]);
    await client.end();
  });

  it("listens on no TCP port, only on a socket in a folder no one else may enter", () => {
    const target = endpoint(embedded.url);
    expect(target).toHaveProperty("path");
    const folder = path.dirname((target as { path: string }).path);
    expect(statSync(folder).mode & 0o777).toBe(0o700);
    expect(statSync(folder).uid).toBe(process.getuid!());
  });

  it.runIf(process.getuid?.() === 0)("refuses a connection from another local user", () => {
    const script = `const net = require("net");
      const socket = net.connect(${JSON.stringify(endpoint(embedded.url))});
      socket.on("connect", () => { console.log("connected"); process.exit(0); });
      socket.on("error", (error) => { console.log(error.code); process.exit(1); });`;
    const run = spawnSync(process.execPath, ["-e", script], { uid: NOBODY, gid: NOBODY, encoding: "utf8", timeout: 20_000, cwd: "/" });
    expect(run.stdout.trim()).toBe("EACCES");
  });

  it("is gone, socket folder and all, once stopped", async () => {
    const other = await startEmbeddedDatabase();
    await other.stop();
    expect(() => statSync(other.socketDir)).toThrow();
  });
});
