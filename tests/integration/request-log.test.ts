import { spawn } from "node:child_process";
import path from "node:path";

import { describe, expect, it } from "vitest";

// The request log (lib/observability/logger.ts) on a real stdout pipe: logging never waits for
// the reader, and a SIGTERM right after a burst still gets every line out.

const root = path.resolve(import.meta.dirname, "..", "..");
// About 3 MB of lines: far more than a pipe holds (64 KiB), so a writer that waits for the
// reader could not finish the burst while nobody reads.
const LINES = 20_000;

describe("request log", () => {
  it("logs a burst without waiting for a reader that is not reading, and loses none of it on SIGTERM", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", "tests/helpers/log-burst.ts", String(LINES)], {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: "production", LOG_LEVEL: "info" },
    });
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    // stdout is not read until the burst is logged: only an asynchronous logger gets that far.
    await new Promise<void>((resolve, reject) => {
      let text = "";
      child.stderr.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        if (text.includes("logged\n")) resolve();
      });
      void exited.then(() => reject(new Error(`exited before logging the burst: ${text}`)));
    });

    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    expect(await exited).toBe(0);
    await new Promise<void>((resolve) => (child.stdout.readableEnded ? resolve() : child.stdout.once("end", () => resolve())));

    const lines = out
      .split("\n")
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toHaveLength(LINES);
    expect(lines.map((line) => line.requestId)).toEqual(Array.from({ length: LINES }, (_, i) => `burst-${i}`));
    expect(lines[LINES - 1]).toMatchObject({ level: 30, msg: "request", method: "GET", path: "/api/v1/whoami", status: 200, keyId: "key_x", outcome: "valid" });
  });
});
