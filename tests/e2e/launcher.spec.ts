import { chmodSync, existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";
import pg from "pg";

import { launch, waitForHealthy, type Launched } from "../helpers/launcher";
import { startTcpProxy } from "../helpers/tcp-proxy";
import { createTestDatabase } from "../helpers/test-database";

// These run the launcher as `npm start` would, without a browser.
test.describe.configure({ mode: "serial" });

const PORT = "3111";
const base = `http://127.0.0.1:${PORT}`;

test("with no DATABASE_URL, the embedded database persists across a clean SIGINT/SIGTERM restart", async () => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-data-"));
  // As a folder made by hand might be: the launcher tightens it.
  chmodSync(dataDir, 0o755);
  const started: Launched[] = [];
  try {
    const first = launch("start", { PORT, KEYHOLD_DATA_DIR: dataDir, NODE_ENV: "production" });
    started.push(first);
    const [firstLine] = (await first.waitForOutput(/^Keyhold: database: .*$/m))[0].split("\n");
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(first.output().trimStart().startsWith(firstLine)).toBe(true);
    expect(firstLine).toContain("embedded PGlite");
    // No TCP port: the database answers only on a socket in a folder of this user's.
    expect(firstLine).not.toMatch(/\d+\.\d+\.\d+\.\d+:\d+/);
    const url = `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(firstLine.match(/served on a Unix socket in (\S+),/)![1]!)}`;
    await first.waitForOutput(/ready on/);
    await waitForHealthy(base);
    expect(first.output()).toMatch(/migrations: [1-9]\d* applied/);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`INSERT INTO scopes (id, name, description) VALUES ('scp_persist', 'orders:read', 'kept across restarts')`);
    await client.end();

    first.child.kill("SIGINT");
    expect(await first.exited).toBe(0);
    expect(existsSync(path.join(dataDir, "keyhold.pid"))).toBe(false);

    // KEYHOLD_HOST binds one address: the same port on another loopback address answers nothing.
    const second = launch("start", { PORT, KEYHOLD_DATA_DIR: dataDir, NODE_ENV: "production", KEYHOLD_HOST: "127.0.0.1" });
    started.push(second);
    const socketDir = (await second.waitForOutput(/served on a Unix socket in (\S+),/))[1]!;
    await second.waitForOutput(/ready on http:\/\/127\.0\.0\.1:/);
    await waitForHealthy(base);
    await expect(fetch(`http://[::1]:${PORT}/api/health`)).rejects.toThrow();
    expect(second.output()).toMatch(/migrations: 0 applied/);
    const again = new pg.Client({ connectionString: `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}` });
    await again.connect();
    const { rows } = await again.query(`SELECT name, description FROM scopes WHERE id = 'scp_persist'`);
    await again.end();
    expect(rows).toEqual([{ name: "orders:read", description: "kept across restarts" }]);

    second.child.kill("SIGTERM");
    expect(await second.exited).toBe(0);
  } finally {
    for (const run of started) if (run.child.exitCode === null) run.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a second launcher on the same data folder refuses to start instead of corrupting it", async () => {
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-data-"));
  const first = launch("start", { PORT, KEYHOLD_DATA_DIR: dataDir, NODE_ENV: "production" });
  try {
    await first.waitForOutput(/ready on/);
    await waitForHealthy(base);
    const second = launch("start", { PORT: "3112", KEYHOLD_DATA_DIR: dataDir, NODE_ENV: "production" });
    expect(await second.exited).toBe(1);
    expect(second.output()).toMatch(/in use by another Keyhold process/);
  } finally {
    first.child.kill("SIGTERM");
    await first.exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
});

for (const [label, env, variable] of [
  ["DATABASE_URL that is not a URL", { DATABASE_URL: "not-a-url" }, "DATABASE_URL"],
  ["production without NEXTAUTH_SECRET", { NODE_ENV: "production", DATABASE_URL: "postgresql://postgres@127.0.0.1:5432/test" }, "NEXTAUTH_SECRET"],
  ["a port that is not a number", { PORT: "http" }, "PORT"],
] as const) {
  test(`bad configuration stops the start with one clear line: ${label}`, async () => {
    const run = launch("start", { KEYHOLD_DATA_DIR: path.join(tmpdir(), "keyhold-never-used"), ...env });
    expect(await run.exited).toBe(1);
    const lines = run.output().trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^Configuration error: ${variable} `));
    expect(run.output()).not.toMatch(/\n\s+at /);
  });
}

test("with DATABASE_URL, health reports the database down (503) and up again", async () => {
  test.setTimeout(120_000);
  const database = await createTestDatabase("keyhold_e2e_health");
  const target = new URL(database.url);
  const proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  const viaProxy = new URL(database.url);
  viaProxy.hostname = "127.0.0.1";
  viaProxy.port = String(proxy.port);
  const server = launch("start", {
    PORT,
    DATABASE_URL: viaProxy.toString(),
    NEXTAUTH_SECRET: "e2e-secret-that-is-long-enough-0123456789",
    KEYHOLD_DATA_DIR: path.join(tmpdir(), "keyhold-health"),
  });
  try {
    expect((await server.waitForOutput(/^Keyhold: database: .*$/m))[0]).toContain("PostgreSQL at 127.0.0.1");
    await waitForHealthy(base);

    await proxy.cut();
    const down = await fetch(`${base}/api/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ status: "degraded", database: "down" });

    await proxy.restore();
    await waitForHealthy(base, 30_000);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    await proxy.close();
    await database.drop();
  }
});

test("npm run dev serves the app the same way, on the embedded database, and stops cleanly", async () => {
  test.setTimeout(240_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-dev-"));
  const dev = launch("dev", { PORT: "3113", KEYHOLD_DATA_DIR: dataDir });
  try {
    expect((await dev.waitForOutput(/^Keyhold: database: .*$/m))[0]).toContain("embedded PGlite");
    // The first request compiles the route, which takes a while on a small machine.
    await waitForHealthy("http://127.0.0.1:3113", 180_000);
    dev.child.kill("SIGINT");
    expect(await dev.exited).toBe(0);
    expect(existsSync(path.join(dataDir, "keyhold.pid"))).toBe(false);
  } finally {
    if (dev.child.exitCode === null) dev.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
