import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

// Debian's nginx in front of test instances, configured by the repository's own
// deploy/nginx/keyhold.conf: only the ports change, so the test runs what a self-hoster copies.

export const NGINX_BINARY = "/usr/sbin/nginx";
const CONFIG = path.join(import.meta.dirname, "../../deploy/nginx/keyhold.conf");

export interface Nginx {
  base: string;
  /** nginx's error log, for a failing test's message. */
  errors(): string;
  stop(): Promise<void>;
}

/** keyhold.conf with its listen port and upstream servers replaced; throws when the file no longer has them. */
export function keyholdConfig(listenPort: number, upstreamPorts: number[]): string {
  const source = readFileSync(CONFIG, "utf8");
  let servers = 0;
  const config = source
    .replace(/^ *listen 80;$/m, `    listen 127.0.0.1:${listenPort};`)
    .replace(/^( *)server 127\.0\.0\.1:\d+([^;\n]*);\n/gm, (_line, indent: string, options: string) =>
      servers++ > 0 ? "" : upstreamPorts.map((port) => `${indent}server 127.0.0.1:${port}${options};\n`).join(""),
    );
  if (servers === 0 || config.includes("listen 80;")) {
    throw new Error(`${CONFIG} has no "listen 80;" or no "server 127.0.0.1:<port>" lines to point at the test instances`);
  }
  return config;
}

/**
 * `upstreamFrom`: the local address nginx connects to the instances from (`proxy_bind`). On one
 * machine everything is loopback; a distinct address lets the instances trust nginx alone, as
 * they would trust a proxy on a host of its own, while a client on 127.0.0.1 stays untrusted.
 */
export async function startNginx(listenPort: number, upstreamPorts: number[], options: { upstreamFrom?: string } = {}): Promise<Nginx> {
  const dir = mkdtempSync(path.join(tmpdir(), "keyhold-nginx-"));
  for (const sub of ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"]) mkdirSync(path.join(dir, sub));
  writeFileSync(path.join(dir, "keyhold.conf"), keyholdConfig(listenPort, upstreamPorts));
  writeFileSync(
    path.join(dir, "nginx.conf"),
    [
      "daemon off;",
      // Workers run as the invoking user, so they can write the temp folders made here.
      process.getuid?.() === 0 ? "user root;" : "",
      "worker_processes 1;",
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/error.log warn;`,
      "events { worker_connections 1024; }",
      "http {",
      "  access_log off;",
      `  client_body_temp_path ${dir}/client_body;`,
      `  proxy_temp_path ${dir}/proxy;`,
      `  fastcgi_temp_path ${dir}/fastcgi;`,
      `  uwsgi_temp_path ${dir}/uwsgi;`,
      `  scgi_temp_path ${dir}/scgi;`,
      options.upstreamFrom ? `  proxy_bind ${options.upstreamFrom};` : "",
      `  include ${dir}/keyhold.conf;`,
      "}",
    ].join("\n"),
  );
  const errorLog = path.join(dir, "error.log");
  let output = "";
  const child: ChildProcess = spawn(NGINX_BINARY, ["-p", dir, "-e", errorLog, "-c", path.join(dir, "nginx.conf")], { stdio: ["ignore", "pipe", "pipe"] });
  child.stdout!.on("data", (chunk: Buffer) => (output += chunk));
  child.stderr!.on("data", (chunk: Buffer) => (output += chunk));
  const exited = new Promise<number | null>((resolve) => child.once("exit", resolve));
  const errors = () => {
    try {
      return output + readFileSync(errorLog, "utf8");
    } catch {
      return output;
    }
  };

  const deadline = Date.now() + 10_000;
  while (!(await accepts(listenPort))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`nginx did not start on port ${listenPort}: ${errors()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }

  return {
    base: `http://127.0.0.1:${listenPort}`,
    errors,
    async stop() {
      if (child.exitCode === null) {
        // SIGQUIT is nginx's graceful stop; SIGKILL after a while in case a worker hangs.
        child.kill("SIGQUIT");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}
