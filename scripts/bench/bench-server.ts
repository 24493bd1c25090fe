import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

import { parseEnv } from "../../lib/env";
import { serverHeapFlags } from "../../lib/process/server-heap-flags";

// One Keyhold server process for the benchmark, started as `npm start` starts it: the server
// that `npm run build` bundled (.next/keyhold/server.mjs, no tsx) with the launcher's heap flags.
// Its request log (the default level, info) goes to /dev/null, so that the log's cost is paid but
// no pipe reader is measured with it.

export interface BenchServer {
  base: string;
  /** The server process, for reading its CPU time. */
  pid: number;
  /** SIGTERM, then the exit code once it has flushed and stopped. */
  stop(): Promise<number | null>;
  /** What the server wrote to stderr: warnings such as dropped usage events belong in the report. */
  stderr(): string;
}

const root = path.resolve(import.meta.dirname, "..", "..");

export async function startBenchServer(options: {
  port: number;
  databaseUrl: string;
  env?: Record<string, string>;
  profileDir?: string;
}): Promise<BenchServer> {
  const profile = options.profileDir ? ["--cpu-prof", "--cpu-prof-dir", options.profileDir] : [];
  const server = path.join(root, ".next", "keyhold", "server.mjs");
  if (!existsSync(server)) throw new Error("no production build: run `npm run build` first");
  const heap = serverHeapFlags(parseEnv({}).KEYHOLD_MAX_HEAP_MB);
  const child: ChildProcess = spawn(process.execPath, [...heap, ...profile, server, "start"], {
    cwd: root,
    stdio: ["ignore", "ignore", "pipe"],
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: "production",
      NEXT_TELEMETRY_DISABLED: "1",
      PORT: String(options.port),
      DATABASE_URL: options.databaseUrl,
      NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret",
      ...options.env,
    },
  });
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const base = `http://127.0.0.1:${options.port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server on ${options.port} exited: ${stderr}`);
    const up = await fetch(`${base}/api/health/live`).then(
      (response) => response.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) throw new Error(`server on ${options.port} did not start: ${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return {
    base,
    pid: child.pid!,
    stop() {
      if (child.exitCode === null) child.kill("SIGTERM");
      return exited;
    },
    stderr: () => stderr,
  };
}
