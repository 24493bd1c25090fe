import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { launch, waitForHealthy } from "./launcher";
import { createTestDatabase } from "./test-database";

export interface FreshServer {
  baseUrl: string;
  /** The first-run link the server printed: /setup with its one-time token. */
  setupUrl: string;
  databaseUrl: string;
  stop(): Promise<void>;
}

/**
 * A production server of its own on an empty database, for what the shared e2e server cannot
 * show: its database gets users from every spec file, so first-run setup is gone there.
 */
export async function startFreshServer(port: number): Promise<FreshServer> {
  const database = await createTestDatabase("keyhold_e2e_fresh");
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-fresh-"));
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = launch("start", {
    NODE_ENV: "production",
    DATABASE_URL: database.url,
    PORT: String(port),
    NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
    NEXTAUTH_URL: baseUrl,
    KEYHOLD_DATA_DIR: dataDir,
    LOG_LEVEL: "warn",
  });
  const cleanUp = async () => {
    if (server.child.exitCode === null) {
      server.child.kill("SIGTERM");
      await server.exited;
    }
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let setupUrl: string;
  try {
    await server.waitForOutput(/ready on/);
    setupUrl = (await server.waitForOutput(/create the owner account at (\S+\/setup\?token=\S+)/))[1]!;
    await waitForHealthy(baseUrl);
  } catch (error) {
    await cleanUp();
    throw error;
  }
  return { baseUrl, setupUrl, databaseUrl: database.url, stop: cleanUp };
}
