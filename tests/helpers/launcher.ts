import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import path from "node:path";

// Runs the real launcher (`npm start` / `npm run dev` without npm in between) the way a
// self-hoster does, capturing what it prints.

const root = path.resolve(import.meta.dirname, "..", "..");

export interface Launched {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

// A test that fails midway must not leave a server holding its port for the next one: each
// launcher leads its own process group, killed whole when the test process exits.
const running = new Set<number>();
process.once("exit", () => {
  for (const pid of running) {
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

/** Where the launcher comes from: the repository, or a copy of the standalone output (bundled). */
export interface LauncherSource {
  cwd: string;
  args: string[];
}

// As package.json runs them: `npm start` the bundled plain-JavaScript launcher, `npm run dev`
// the TypeScript one with tsx as a loader (the tsx CLI relays signals with a short
// acknowledgement timeout and may SIGKILL the launcher before it shuts down in order).
const repository: Record<"start" | "dev", LauncherSource> = {
  start: { cwd: root, args: ["scripts/start.mjs"] },
  dev: { cwd: root, args: ["--import", "tsx", "scripts/start.ts"] },
};

export function launch(mode: "start" | "dev", env: Record<string, string>, source: LauncherSource = repository[mode]): Launched {
  const child = spawn(process.execPath, [...source.args, mode], {
    cwd: source.cwd,
    detached: true,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NEXT_TELEMETRY_DISABLED: "1",
      NODE_ENV: mode === "dev" ? "development" : "production",
      ...env,
    },
  });
  let text = "";
  const waiters = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    text += chunk.toString();
    for (const wake of waiters) wake();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  running.add(child.pid!);
  const exited = new Promise<number | null>((resolve) =>
    child.on("exit", (code) => {
      running.delete(child.pid!);
      resolve(code);
    }),
  );

  return {
    child,
    exited,
    output: () => text,
    waitForOutput(pattern, timeoutMs = 120_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = text.match(pattern);
          if (match) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve(match);
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out waiting for ${pattern}; output so far:\n${text}`));
        }, timeoutMs);
        waiters.add(check);
        void exited.then(() => {
          if (!text.match(pattern)) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`launcher exited before printing ${pattern}; output:\n${text}`));
          }
        });
        check();
      });
    },
  };
}

export async function waitForHealthy(baseUrl: string, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(`${baseUrl}/api/health`);
      if (response.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${baseUrl} did not become healthy in ${timeoutMs} ms`);
}
