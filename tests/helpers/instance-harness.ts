import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import pg from "pg";

import { createDb, type Db } from "../../lib/db/client";
import { launch, waitForHealthy, type Launched, type LauncherSource } from "./launcher";
import { createTestDatabase, type TestDatabase } from "./test-database";

// App instances started through the real launcher on one test database, for the end-to-end specs
// that need more than the shared server (several instances, a proxy in front, signals).

export const SECRET = "instances-e2e-secret-0123456789abcdef";
export const system = { type: "system" as const, id: null };
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export interface Instance {
  base: string;
  run: Launched;
}

/** What a test started, torn down in reverse whatever happens to the test. */
export class Harness {
  private readonly closers: (() => Promise<unknown>)[] = [];

  defer(close: () => Promise<unknown>): void {
    this.closers.push(close);
  }

  async database(): Promise<TestDatabase & { db: Db; sql<R extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<R[]> }> {
    const database = await createTestDatabase("keyhold_e2e_instances");
    this.defer(() => database.drop());
    const db = createDb(database.url, 4);
    this.defer(() => db.$disconnect());
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    this.defer(() => admin.end());
    return { ...database, db, sql: async (text, params = []) => (await admin.query(text, params)).rows };
  }

  /** Launches the real launcher; call ready() on the result once every instance is launched. */
  launch(port: number, databaseUrl: string, env: Record<string, string> = {}, source?: LauncherSource): Instance {
    const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-instances-"));
    const run = launch("start", { PORT: String(port), DATABASE_URL: databaseUrl, NEXTAUTH_SECRET: SECRET, KEYHOLD_DATA_DIR: dataDir, ...env }, source);
    this.defer(async () => {
      await stop(run);
      rmSync(dataDir, { recursive: true, force: true });
    });
    return { base: `http://127.0.0.1:${port}`, run };
  }

  async close(): Promise<void> {
    for (const close of this.closers.reverse()) await close().catch((error: unknown) => console.error("cleanup failed:", error));
  }
}

export async function ready(...instances: Instance[]): Promise<void> {
  await Promise.all(
    instances.map(async ({ base, run }) => {
      // A launcher that gives up (a failed build, a taken port) must fail the test now, not
      // after the health timeout.
      const exited = run.exited.then((code) => {
        throw new Error(`launcher for ${base} exited with ${code}`);
      });
      try {
        await Promise.race([waitForHealthy(base, 120_000), exited]);
      } catch (error) {
        throw new Error(`${(error as Error).message}; launcher output:\n${run.output()}`);
      } finally {
        exited.catch(() => undefined);
      }
    }),
  );
}

/** SIGTERM, then SIGKILL for the whole process group: the launcher's server child must not outlive the test. */
export async function stop(run: Launched): Promise<void> {
  const pid = run.child.pid!;
  if (run.child.exitCode === null && run.child.signalCode === null) {
    run.child.kill("SIGTERM");
    await Promise.race([run.exited, sleep(15_000)]);
  }
  try {
    process.kill(-pid, "SIGKILL");
  } catch {
    // the group is gone already
  }
}

export async function whoami(base: string, key: string): Promise<{ status: number; code: string | null; body: Record<string, unknown> }> {
  const response = await fetch(`${base}/api/v1/whoami`, { headers: { "x-api-key": key } });
  const body = (await response.json()) as Record<string, unknown> & { error?: { code: string } };
  return { status: response.status, code: body.error?.code ?? null, body };
}

export async function usageCounts(sql: Awaited<ReturnType<Harness["database"]>>["sql"], keyId: string) {
  const [row] = await sql<{ events: number; ok: number; rolled: number }>(
    `SELECT count(*)::int AS events, (count(*) FILTER (WHERE status = 200))::int AS ok,
            (SELECT coalesce(sum(count), 0)::int FROM usage_rollups WHERE key_id = $1) AS rolled
     FROM usage_events WHERE key_id = $1`,
    [keyId],
  );
  return row;
}
