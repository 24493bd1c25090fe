// `npm run bench`: the verification path's cost, measured against an unauthenticated route in
// the same run. Starts the production server on a fresh PostgreSQL database, issues a key, and
// drives GET /api/health and GET /api/v1/whoami with autocannon (50 connections), alternating
// rounds so drift on a shared machine hits both alike. Then checks that every verified request
// became exactly one usage event (none lost, also across the SIGTERM flush).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import pg from "pg";
import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { issueKey } from "../../lib/keys/service";
import { launch, waitForHealthy } from "../../tests/helpers/launcher";
import { createTestDatabase } from "../../tests/helpers/test-database";

const root = path.resolve(import.meta.dirname, "..", "..");
const PORT = Number(process.env.BENCH_PORT ?? 3200);
const CONNECTIONS = 50;
const REQUESTS_PER_ROUND = Number(process.env.BENCH_REQUESTS ?? 40_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const base = `http://127.0.0.1:${PORT}`;

interface Round {
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  other: number;
}

async function run(url: string, headers: Record<string, string>, amount: number): Promise<Round> {
  const result = await autocannon({ url, connections: CONNECTIONS, amount, headers });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    ok: result["2xx"],
    other: result.non2xx + result.errors + result.timeouts,
  };
}

function mean(values: number[]): number {
  return values.reduce((sum, value) => sum + value, 0) / values.length;
}

async function main() {
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.log("no production build: running next build");
    const build = spawnSync(process.execPath, [path.join(root, "node_modules", "next", "dist", "bin", "next"), "build"], { cwd: root, stdio: "inherit" });
    if (build.status !== 0) process.exit(2);
  }

  const database = await createTestDatabase("keyhold_bench");
  if (database.kind !== "postgres") throw new Error("the benchmark needs PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432)");
  await migrate(database.url);
  const db = createDb(database.url, 2);
  const { key } = await issueKey(db, { name: "bench" }, { type: "system", id: null });
  await db.$disconnect();

  const server = launch("start", {
    PORT: String(PORT),
    DATABASE_URL: database.url,
    NEXTAUTH_SECRET: "bench-secret-bench-secret-bench-secret",
    LOG_LEVEL: "warn",
  });
  try {
    await waitForHealthy(base);
    const auth = { authorization: `Bearer ${key}` };
    let verified = 0;

    // Warm both routes (JIT, connection pools, the key cache) before measuring.
    await run(`${base}/api/health`, {}, 5_000);
    verified += (await run(`${base}/api/v1/whoami`, auth, 5_000)).ok;

    const health: Round[] = [];
    const whoami: Round[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      health.push(await run(`${base}/api/health`, {}, REQUESTS_PER_ROUND));
      const protectedRound = await run(`${base}/api/v1/whoami`, auth, REQUESTS_PER_ROUND);
      whoami.push(protectedRound);
      verified += protectedRound.ok;
      if (protectedRound.other > 0) console.warn(`round ${round + 1}: ${protectedRound.other} whoami requests did not answer 2xx`);
    }

    server.child.kill("SIGTERM");
    const code = await server.exited;

    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    const events = Number((await client.query(`SELECT count(*) FROM usage_events WHERE path = '/api/v1/whoami' AND outcome = 'valid'`)).rows[0].count);
    const rolled = Number((await client.query(`SELECT coalesce(sum(count), 0) AS n FROM usage_rollups WHERE outcome = 'valid'`)).rows[0].n);
    await client.end();

    const row = (label: string, rounds: Round[]) =>
      `${label.padEnd(22)} ${mean(rounds.map((r) => r.rps)).toFixed(0).padStart(8)} req/s   p50 ${mean(rounds.map((r) => r.p50)).toFixed(1).padStart(5)} ms   p99 ${mean(rounds.map((r) => r.p99)).toFixed(1).padStart(5)} ms   rounds: ${rounds.map((r) => r.rps.toFixed(0)).join(", ")}`;
    console.log("");
    console.log(`autocannon, ${CONNECTIONS} connections, ${ROUNDS} alternating rounds of ${REQUESTS_PER_ROUND} requests each`);
    console.log(row("GET /api/health", health));
    console.log(row("GET /api/v1/whoami", whoami));
    const ratio = mean(whoami.map((r) => r.rps)) / mean(health.map((r) => r.rps));
    console.log(`ratio whoami / health: ${ratio.toFixed(2)} (target >= 0.85)`);
    console.log(`verified requests: ${verified}; usage events written: ${events}; in rollups: ${rolled}; lost: ${verified - events}`);
    console.log(`server exit code after SIGTERM: ${code}`);
    if (events !== verified || rolled !== verified || code !== 0) process.exitCode = 1;
  } finally {
    if (server.child.exitCode === null) {
      server.child.kill("SIGKILL");
      await server.exited;
    }
    await database.drop();
  }
}

await main();
