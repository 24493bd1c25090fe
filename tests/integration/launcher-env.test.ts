import { spawnSync } from "node:child_process";
import path from "node:path";

import { describe, expect, it } from "vitest";

// Issue 13 item 8: the launcher validated configuration with the NODE_ENV of the shell (unset:
// development) and then ran the server in production, so `npm start` with DATABASE_URL and no
// NEXTAUTH_SECRET started every instance with its own generated secret. The launcher validates
// with the NODE_ENV the server will run under; the check fails before any database is touched,
// so the URL here points at a port nothing listens on.

const root = path.resolve(import.meta.dirname, "..", "..");

function start(mode: "start" | "dev", extra: Record<string, string>) {
  const env: Record<string, string | undefined> = { PATH: process.env.PATH, HOME: process.env.HOME, ...extra };
  return spawnSync(process.execPath, ["--import", "tsx", "scripts/start.ts", mode], {
    cwd: root,
    env: env as NodeJS.ProcessEnv,
    encoding: "utf8",
    timeout: 60_000,
  });
}

describe("the launcher's configuration check", () => {
  it.each([
    ["unset", {}],
    ["development", { NODE_ENV: "development" }],
  ])("refuses `start` with DATABASE_URL and no NEXTAUTH_SECRET when NODE_ENV is %s", (_, extra) => {
    const run = start("start", { DATABASE_URL: "postgresql://postgres@127.0.0.1:1/none", ...extra });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
      "Configuration error: NEXTAUTH_SECRET is required in production (NODE_ENV=production with DATABASE_URL set)",
    ]);
    expect(run.stdout).not.toMatch(/database:/);
  });
});
