import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { processTree } from "../../scripts/bench/process-tree";
import { Harness, ready, SECRET, whoami } from "../helpers/instance-harness";
import type { LauncherSource } from "../helpers/launcher";

// The standalone output (`npm run build`: Next's .next/standalone completed by
// scripts/build-standalone.mjs) is what the Docker image runs. Docker does not run on these
// machines, so the test runs that folder the way the image does: copied away from the
// repository (no node_modules above it to fall back on), started with `node scripts/start.mjs`.
test.describe.configure({ mode: "serial" });

const root = path.resolve(import.meta.dirname, "..", "..");
const built = path.join(root, ".next", "standalone");
const migrations = readdirSync(path.join(root, "prisma", "migrations"), { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
let copy: string;
let source: LauncherSource;

test.beforeAll(() => {
  if (!existsSync(path.join(built, "scripts", "start.mjs"))) throw new Error(`${built} is incomplete: run \`npm run build\` first`);
  copy = mkdtempSync(path.join(tmpdir(), "keyhold-standalone-"));
  cpSync(built, copy, { recursive: true });
  source = { cwd: copy, args: ["scripts/start.mjs"] };
});

test.afterAll(() => {
  if (copy) rmSync(copy, { recursive: true, force: true });
});

function admin(args: string[], env: Record<string, string>): string {
  return execFileSync(process.execPath, ["scripts/admin.mjs", ...args], {
    cwd: copy,
    env: { PATH: process.env.PATH, NODE_ENV: "production", ...env },
    encoding: "utf8",
  });
}

test("on PostgreSQL: migrations at start, the dashboard with its assets, the admin CLI, a verified key, a clean SIGTERM", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const instance = harness.launch(3171, database.url, {}, source);
    await ready(instance);
    expect(instance.run.output()).toContain(`Keyhold: migrations: ${migrations} applied, ${migrations} in all`);

    // No users yet: the dashboard leads to /setup, whose page loads its stylesheet and scripts.
    const page = await fetch(`${instance.base}/`);
    expect(page.url).toBe(`${instance.base}/setup`);
    const html = await page.text();
    const assets = [...html.matchAll(/(?:href|src)="(\/_next\/static\/[^"]+\.(?:css|js))"/g)].map((match) => match[1]);
    expect(assets.some((asset) => asset.endsWith(".css"))).toBe(true);
    for (const asset of new Set(assets)) expect((await fetch(`${instance.base}${asset}`)).status, asset).toBe(200);

    const created = JSON.parse(admin(["create-key", "--name", "standalone", "--json"], { DATABASE_URL: database.url })) as { key: string; id: string };
    const answer = await whoami(instance.base, created.key);
    expect([answer.status, answer.body.keyId]).toEqual([200, created.id]);

    instance.run.child.kill("SIGTERM");
    expect(await instance.run.exited, instance.run.output()).toBe(0);
  } finally {
    await harness.close();
  }
});

test("without DATABASE_URL: the embedded database in its own data folder, kept across a restart", async () => {
  test.setTimeout(180_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-standalone-data-"));
  const harness = new Harness();
  harness.defer(async () => rmSync(dataDir, { recursive: true, force: true }));
  try {
    const env = { KEYHOLD_DATA_DIR: dataDir, NEXTAUTH_SECRET: SECRET };
    // An empty DATABASE_URL counts as unset.
    const first = harness.launch(3175, "", env, source);
    await ready(first);
    expect(first.run.output()).toMatch(/Keyhold: database: embedded PGlite/);
    // Plain JavaScript throughout: the launcher holding the database and the server, nothing else.
    const commands = processTree(first.run.child.pid!).map((entry) => entry.command);
    expect(commands).toEqual([expect.stringMatching(/ scripts\/start\.mjs start$/), expect.stringMatching(/\/scripts\/server\.mjs start$/)]);
    for (const command of commands) expect(command).not.toMatch(/tsx|esbuild/);
    first.run.child.kill("SIGTERM");
    expect(await first.run.exited, first.run.output()).toBe(0);

    const created = JSON.parse(admin(["create-key", "--name", "embedded", "--json"], { KEYHOLD_DATA_DIR: dataDir })) as { key: string };
    const second = harness.launch(3175, "", env, source);
    await ready(second);
    expect(second.run.output()).toContain(`Keyhold: migrations: 0 applied, ${migrations} in all`);
    expect((await whoami(second.base, created.key)).status).toBe(200);
  } finally {
    await harness.close();
  }
});

test("three instances started at once on an empty database apply each migration once", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const instances = [3172, 3173, 3174].map((port) => harness.launch(port, database.url, {}, source));
    await ready(...instances);
    const applied = instances.map((instance) => Number(/migrations: (\d+) applied/.exec(instance.run.output())![1]));
    console.log(`three instances at once: migrations applied by each: ${applied.join(", ")}`);
    expect(applied.reduce((sum, count) => sum + count, 0)).toBe(migrations);
    const rows = await database.sql<{ migration_name: string; n: number }>(
      "SELECT migration_name, count(*)::int AS n FROM _prisma_migrations GROUP BY migration_name",
    );
    expect(rows).toHaveLength(migrations);
    expect(rows.every((row) => row.n === 1)).toBe(true);
    for (const instance of instances) expect((await fetch(`${instance.base}/api/health`)).status).toBe(200);
  } finally {
    await harness.close();
  }
});
