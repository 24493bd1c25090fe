// `npm run bench:profile -- [live|whoami|whoami-ratelimited|verify|verify-gzip]`: a CPU profile
// of one dispatcher route under load (autocannon, 50 connections, BENCH_SECONDS default 10 after
// 2 s of warm-up) on a fresh PostgreSQL database, then its top functions by self time and by
// inclusive time. For finding where a request's CPU goes (issue 12 item 8); `npm run bench` is
// for the figures.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import autocannon from "autocannon";

import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { issueKey } from "../../lib/keys/service";
import { createTestDatabase } from "../../tests/helpers/test-database";
import { startBenchServer } from "./bench-server";

const ROUTES = ["live", "whoami", "whoami-ratelimited", "verify", "verify-gzip"] as const;
const route = (process.argv[2] ?? "verify") as (typeof ROUTES)[number];
if (!ROUTES.includes(route)) {
  console.error(`usage: npm run bench:profile -- [${ROUTES.join("|")}]`);
  process.exit(1);
}
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const system = { type: "system" as const, id: null };

const database = await createTestDatabase("keyhold_profile");
if (database.kind !== "postgres") throw new Error("the profile needs PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432)");
await migrate(database.url);
const db = createDb(database.url, 2);
const plain = await issueKey(db, { name: "plain" }, system);
const verifier = await issueKey(db, { name: "verifier", scopes: ["keys:verify"] }, system);
// As npm run bench's rate-limited key: a limit the load never reaches, so every answer is a 200.
const limited = await issueKey(db, { name: "rate-limited", ratelimit: { limit: 1_000_000, windowMs: 60_000 } }, system);
await db.$disconnect();

const profileDir = mkdtempSync(path.join(tmpdir(), "keyhold-profile-"));
const server = await startBenchServer({ port: Number(process.env.BENCH_PORT ?? 3400), databaseUrl: database.url, profileDir });
const load = {
  live: { url: `${server.base}/api/health/live` },
  whoami: { url: `${server.base}/api/v1/whoami`, headers: { authorization: `Bearer ${plain.key}` } },
  "whoami-ratelimited": { url: `${server.base}/api/v1/whoami`, headers: { authorization: `Bearer ${limited.key}` } },
  verify: {
    url: `${server.base}/api/v1/keys/verify`,
    method: "POST" as const,
    headers: { authorization: `Bearer ${verifier.key}`, "content-type": "application/json" },
    body: JSON.stringify({ key: plain.key }),
  },
  "verify-gzip": {
    url: `${server.base}/api/v1/keys/verify`,
    method: "POST" as const,
    headers: { authorization: `Bearer ${verifier.key}`, "content-type": "application/json", "accept-encoding": "gzip" },
    body: JSON.stringify({ key: plain.key }),
  },
}[route];
try {
  await autocannon({ ...load, connections: 50, duration: 2 });
  const result = await autocannon({ ...load, connections: 50, duration: seconds });
  console.log(`${route}: ${result.requests.average.toFixed(0)} req/s, ${result.non2xx} non-2xx, p50 ${result.latency.p50} ms`);
} finally {
  await server.stop();
  await database.drop();
}
// The server's main thread writes the largest profile (workers write their own, nearly empty).
const profile = readdirSync(profileDir)
  .map((name) => path.join(profileDir, name))
  .sort((a, b) => statSync(b).size - statSync(a).size)[0]!;
console.log(`profile: ${profile}`);
const summary = path.join(import.meta.dirname, "profile-summary.ts");
for (const mode of [[], ["--inclusive"]]) spawnSync(process.execPath, ["--import", "tsx", summary, profile, "25", ...mode], { stdio: "inherit" });
