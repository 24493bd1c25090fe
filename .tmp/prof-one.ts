import autocannon from "autocannon";
import { createDb } from "../lib/db/client";
import { migrate } from "../lib/db/migrate";
import { issueKey } from "../lib/keys/service";
import { createTestDatabase } from "../tests/helpers/test-database";
import { startBenchServer } from "../scripts/bench/bench-server";
const system = { type: "system" as const, id: null };
const which = process.argv[2] ?? "verify";
const database = await createTestDatabase("keyhold_prof");
await migrate(database.url);
const db = createDb(database.url, 2);
const plain = await issueKey(db, { name: "plain" }, system);
const verifier = await issueKey(db, { name: "verifier", scopes: ["keys:verify"] }, system);
await db.$disconnect();
const server = await startBenchServer({ port: 3400, databaseUrl: database.url, profileDir: process.env.PROF });
const opts = which === "verify"
  ? { url: `${server.base}/api/v1/keys/verify`, method: "POST" as const, headers: { authorization: `Bearer ${verifier.key}`, "content-type": "application/json" }, body: JSON.stringify({ key: plain.key }) }
  : which === "live" ? { url: `${server.base}/api/health/live` } : { url: `${server.base}/api/v1/whoami`, headers: { authorization: `Bearer ${plain.key}` } };
await autocannon({ ...opts, connections: 50, duration: 2 });
const r = await autocannon({ ...opts, connections: 50, duration: Number(process.env.SECS ?? 8) });
console.log(which, r.requests.average, "req/s", r.non2xx, "non2xx");
await server.stop();
await database.drop();
