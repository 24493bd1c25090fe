// `npm run bench`: what verification costs, as ratios to GET /api/health/live (no auth, no
// database) in the same server and run (DESIGN.md section 15.1). Two servers on one fresh
// PostgreSQL database, both at the default log level: one answering the API straight from its
// route handlers (the default), one through Next's router (KEYHOLD_API_DISPATCH=0). Rows run in
// alternating rounds so that drift on a shared machine hits them alike. Then both servers get
// SIGTERM and every request is checked to have become its usage events (0 lost).
// BENCH_SECONDS (per row and round, default 6), BENCH_ROUNDS (default 2), BENCH_PORT (default
// 3200; the second server uses the next port), BENCH_PROFILE=DIR writes a CPU profile of the
// dispatching server there (summarise it with scripts/bench/profile-summary.ts).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

import autocannon from "autocannon";
import pg from "pg";

import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { issueKey } from "../../lib/keys/service";
import { createTestDatabase } from "../../tests/helpers/test-database";
import { startBenchServer, type BenchServer } from "./bench-server";
import { cpuBetween, cpuSample, type CpuTimes } from "./cpu-time";

const root = path.resolve(import.meta.dirname, "..", "..");
const PORT = Number(process.env.BENCH_PORT ?? 3200);
const CONNECTIONS = 50;
const SECONDS = Number(process.env.BENCH_SECONDS ?? 6);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const system = { type: "system" as const, id: null };

interface Row {
  label: string;
  server: "dispatcher" | "next";
  method: "GET" | "POST";
  path: string;
  /** Whose usage events a request makes: the presenting key, and for verify the verified one. */
  keys: string[];
  headers: Record<string, string>;
  body?: string;
  rounds: Round[];
}

interface Round {
  rps: number;
  p50: number;
  p99: number;
  /** CPU per request, microseconds: the server's event loop, all its threads, PostgreSQL. */
  mainUs: number;
  serverUs: number;
  dbUs: number;
}

async function load(server: BenchServer, row: Row, seconds: number, counts: Map<string, number>): Promise<Round> {
  const before = cpuSample(server.pid);
  const result = await autocannon({
    url: `${server.base}${row.path}`,
    method: row.method,
    headers: row.headers,
    body: row.body,
    connections: CONNECTIONS,
    duration: seconds,
  });
  // Sent, not only answered in time: requests in flight when the run stops are still served.
  const sent = result.requests.sent;
  for (const id of row.keys) counts.set(id, (counts.get(id) ?? 0) + sent);
  const spent = cpuBetween(before, cpuSample(server.pid));
  const perRequest = (key: keyof CpuTimes) => (spent[key] / Math.max(sent, 1)) * 1e6;
  if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
    console.warn(`${row.label}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts`);
  }
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    mainUs: perRequest("main"),
    serverUs: perRequest("process"),
    dbUs: perRequest("postgres"),
  };
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / values.length;

async function main() {
  if (!existsSync(path.join(root, ".next", "keyhold", "server.mjs"))) {
    console.log("no production build: running npm run build");
    const build = spawnSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) process.exit(2);
  }
  const database = await createTestDatabase("keyhold_bench");
  if (database.kind !== "postgres") throw new Error("the benchmark needs PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432)");
  await migrate(database.url);
  const db = createDb(database.url, 2);
  const plain = await issueKey(db, { name: "plain" }, system);
  const limited = await issueKey(db, { name: "rate-limited", ratelimit: { limit: 1_000_000, windowMs: 60_000 } }, system);
  const quota = await issueKey(db, { name: "quota", remaining: 1_000_000_000 }, system);
  const scoped = await issueKey(db, { name: "scoped", scopes: ["keys:read", "usage:read"] }, system);
  // Issue 14: an allowlist or a refill must cost no more than a plain key (within 5%).
  const allowlisted = await issueKey(db, { name: "allowlist", ipAllowlist: ["10.0.0.0/8", "192.168.0.0/16", "127.0.0.0/8", "::1"] }, system);
  const refilled = await issueKey(db, { name: "refill", remaining: 1_000_000_000, refill: { interval: "daily", amount: 1_000_000_000 } }, system);
  const verifier = await issueKey(db, { name: "verifier", scopes: ["keys:verify"] }, system);
  await db.$disconnect();

  const servers = {
    dispatcher: await startBenchServer({ port: PORT, databaseUrl: database.url, profileDir: process.env.BENCH_PROFILE }),
    next: await startBenchServer({ port: PORT + 1, databaseUrl: database.url, env: { KEYHOLD_API_DISPATCH: "0" } }),
  };
  const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
  const whoami = (label: string, server: Row["server"], key: { key: string; record: { id: string } }): Row => ({
    label,
    server,
    method: "GET",
    path: "/api/v1/whoami",
    keys: [key.record.id],
    headers: bearer(key.key),
    rounds: [],
  });
  const live = (server: Row["server"]): Row => ({
    label: "GET /api/health/live",
    server,
    method: "GET",
    path: "/api/health/live",
    keys: [],
    headers: {},
    rounds: [],
  });
  const rows: Row[] = [
    live("dispatcher"),
    whoami("whoami, plain key", "dispatcher", plain),
    whoami("whoami, rate-limited key", "dispatcher", limited),
    whoami("whoami, quota key", "dispatcher", quota),
    whoami("whoami, scoped key", "dispatcher", scoped),
    whoami("whoami, allowlist key", "dispatcher", allowlisted),
    whoami("whoami, refill key", "dispatcher", refilled),
    {
      label: "POST /api/v1/keys/verify",
      server: "dispatcher",
      method: "POST",
      path: "/api/v1/keys/verify",
      keys: [verifier.record.id, plain.record.id],
      headers: { ...bearer(verifier.key), "content-type": "application/json" },
      body: JSON.stringify({ key: plain.key }),
      rounds: [],
    },
    // Most HTTP clients accept gzip, and get even a small answer gzipped, as Next gives it.
    {
      label: "verify, gzip accepted",
      server: "dispatcher",
      method: "POST",
      path: "/api/v1/keys/verify",
      keys: [verifier.record.id, plain.record.id],
      headers: { ...bearer(verifier.key), "content-type": "application/json", "accept-encoding": "gzip" },
      body: JSON.stringify({ key: plain.key }),
      rounds: [],
    },
    live("next"),
    whoami("whoami, plain key", "next", plain),
  ];

  const counts = new Map<string, number>();
  let exitCodes: (number | null)[] = [];
  try {
    // Warm every row (JIT, pools, the key cache, rate-limit leases) before measuring.
    for (const row of rows) await load(servers[row.server], row, 2, counts);
    for (let round = 0; round < ROUNDS; round++) {
      for (const row of round % 2 === 0 ? rows : [...rows].reverse()) row.rounds.push(await load(servers[row.server], row, SECONDS, counts));
    }
  } finally {
    exitCodes = [await servers.dispatcher.stop(), await servers.next.stop()];
    for (const [name, server] of Object.entries(servers)) {
      const warnings = server.stderr().trim();
      if (warnings) console.log(`${name} server stderr:\n${warnings.slice(0, 4_000)}`);
    }
  }

  const client = new pg.Client({ connectionString: database.url });
  await client.connect();
  const written = new Map(
    (await client.query<{ key_id: string; n: string }>("SELECT key_id, count(*) AS n FROM usage_events WHERE key_id IS NOT NULL GROUP BY key_id")).rows.map(
      (row) => [row.key_id, Number(row.n)],
    ),
  );
  await client.end();
  await database.drop();

  const rps = (row: Row) => mean(row.rounds.map((r) => r.rps));
  const liveOf = (server: Row["server"]) => rps(rows.find((row) => row.server === server && row.path === "/api/health/live")!);
  console.log(`\nautocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${SECONDS} s per row, LOG_LEVEL info`);
  // CPU per request in microseconds: the server's event loop (what caps its req/s), all of its
  // threads, and PostgreSQL's; "+loop" is the event loop's time beyond the same server's live route.
  console.log(
    `${"server".padEnd(11)}${"route".padEnd(27)}${"req/s".padStart(8)}${"vs live".padStart(9)}${"p50 ms".padStart(8)}${"p99 ms".padStart(8)}${"loop µs".padStart(9)}${"+loop".padStart(7)}${"all µs".padStart(8)}${"db µs".padStart(7)}   rounds`,
  );
  const cpu = (row: Row, key: "mainUs" | "serverUs" | "dbUs") => mean(row.rounds.map((r) => r[key]));
  const liveRow = (server: Row["server"]) => rows.find((row) => row.server === server && row.path === "/api/health/live")!;
  for (const row of rows) {
    const ratio = rps(row) / liveOf(row.server);
    const p = (key: "p50" | "p99") =>
      mean(row.rounds.map((r) => r[key]))
        .toFixed(1)
        .padStart(8);
    const extra = cpu(row, "mainUs") - cpu(liveRow(row.server), "mainUs");
    console.log(
      `${row.server.padEnd(11)}${row.label.padEnd(27)}${rps(row).toFixed(0).padStart(8)}${ratio.toFixed(2).padStart(9)}${p("p50")}${p("p99")}` +
        `${cpu(row, "mainUs").toFixed(0).padStart(9)}${extra.toFixed(0).padStart(7)}${cpu(row, "serverUs").toFixed(0).padStart(8)}${cpu(row, "dbUs").toFixed(0).padStart(7)}` +
        `   ${row.rounds.map((r) => r.rps.toFixed(0)).join(", ")}`,
    );
  }
  const verify = rows.find((row) => row.path === "/api/v1/keys/verify")!;
  const checks: [string, boolean][] = [
    [`dispatcher verify / Next live = ${(rps(verify) / liveOf("next")).toFixed(2)} (target >= 5)`, rps(verify) / liveOf("next") >= 5],
    ...rows
      .filter((row) => row.path === "/api/v1/whoami")
      .map((row): [string, boolean] => {
        const ratio = rps(row) / liveOf(row.server);
        const target = row.server === "dispatcher" ? 0.9 : 0.95;
        return [`${row.server} ${row.label} / live = ${ratio.toFixed(2)} (target >= ${target})`, ratio >= target];
      }),
    ...["whoami, allowlist key", "whoami, refill key"].map((label): [string, boolean] => {
      const ratio = rps(rows.find((row) => row.label === label)!) / rps(rows.find((row) => row.label === "whoami, plain key" && row.server === "dispatcher")!);
      return [`${label} / plain key = ${ratio.toFixed(2)} (target >= 0.95)`, ratio >= 0.95];
    }),
  ];
  for (const [text, met] of checks) console.log(`${met ? "met    " : "MISSED "} ${text}`);

  let lost = 0;
  for (const [id, sent] of counts) {
    const got = written.get(id) ?? 0;
    lost += sent - got;
    if (got !== sent) console.log(`key ${id}: ${sent} requests, ${got} usage events`);
  }
  const sent = [...counts.values()].reduce((sum, n) => sum + n, 0);
  console.log(`usage events: ${sent} expected, ${sent - lost} written, ${lost} lost; server exit codes after SIGTERM: ${exitCodes.join(", ")}`);
  if (lost !== 0 || exitCodes.some((code) => code !== 0)) process.exitCode = 1;
}

await main();
