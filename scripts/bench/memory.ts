// `npm run bench:memory [-- --minutes 10 --database embedded|postgres|both]`: the resident memory
// (RSS, from /proc/<pid>/status) of every process the production start runs (the launcher, the
// server, any other child), on the embedded database and on PostgreSQL: at idle, after 20,000
// verifications, after paging through 10,000 keys and opening every dashboard page as an OWNER,
// and through N minutes of steady load, to show whether it grows. PSS (shared pages such as
// node's own code counted once across the processes) is printed next to it. First, what each
// in-process table costs at its bound (memory-bounds.ts).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";

import { startEmbeddedDatabase } from "../../lib/db/embedded";
import { launch, waitForHealthy, type Launched } from "../../tests/helpers/launcher";
import { createTestDatabase } from "../../tests/helpers/test-database";
import { printBounds } from "./memory-bounds";
import { openDashboard, pageApiKeys, pageDashboardKeys, signIn, verifyMany } from "./memory-load";
import { seedDatabase, type Seeded } from "./memory-seed";
import { processTree } from "./process-tree";

const root = path.resolve(import.meta.dirname, "..", "..");
const { values: options } = parseArgs({
  options: {
    minutes: { type: "string", default: "10" },
    database: { type: "string", default: "both" },
    keys: { type: "string", default: "10000" },
    verifications: { type: "string", default: "20000" },
    port: { type: "string", default: process.env.BENCH_PORT ?? "3201" },
  },
});
const MINUTES = Number(options.minutes);
const KEYS = Number(options.keys);
const VERIFICATIONS = Number(options.verifications);
const VERIFIED_KEYS = 1_000;
const SAMPLE_EVERY_MS = 30_000;
const base = `http://127.0.0.1:${options.port}`;
const MB = 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Sample {
  launcher: number;
  server: number;
  other: number;
  total: number;
  pss: number;
}

function sample(run: Launched): Sample {
  const tree = processTree(run.child.pid!);
  const server = tree.filter((entry) => /server\.(mjs|ts) (start|dev)$/.test(entry.command)).reduce((sum, entry) => sum + entry.rss, 0);
  const launcher = tree[0]?.rss ?? 0;
  const total = tree.reduce((sum, entry) => sum + entry.rss, 0);
  return { launcher, server, other: total - launcher - server, total, pss: tree.reduce((sum, entry) => sum + entry.pss, 0) };
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`.padStart(8);

function print(label: string, s: Sample): void {
  console.log(`${label.padEnd(44)}${mb(s.launcher)}${mb(s.server)}${mb(s.other)}${mb(s.total)}${mb(s.pss)}`);
}

async function prepare(kind: "embedded" | "postgres", dataDir: string): Promise<{ seeded: Seeded; env: Record<string, string>; drop(): Promise<void> }> {
  const migrations = path.join(root, "prisma", "migrations");
  if (kind === "embedded") {
    const embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
    const seeded = await seedDatabase(embedded.url, migrations, KEYS, VERIFIED_KEYS);
    await embedded.stop();
    return { seeded, env: { KEYHOLD_DATA_DIR: dataDir }, drop: async () => undefined };
  }
  const database = await createTestDatabase("keyhold_bench_memory");
  if (database.kind !== "postgres") throw new Error("the PostgreSQL run needs PostgreSQL (TEST_DATABASE_URL or 127.0.0.1:5432)");
  const seeded = await seedDatabase(database.url, migrations, KEYS, VERIFIED_KEYS);
  return { seeded, env: { DATABASE_URL: database.url, NEXTAUTH_SECRET: "bench-memory-secret-0123456789abcdef" }, drop: () => database.drop() };
}

async function steadyLoad(run: Launched, seeded: Seeded, cookie: string): Promise<void> {
  const started = Date.now();
  const end = started + MINUTES * 60_000;
  let verified = 0;
  let nextSample = started;
  const samples: Sample[] = [];
  while (Date.now() < end) {
    if (Date.now() >= nextSample) {
      samples.push(sample(run));
      print(`  steady load, minute ${((Date.now() - started) / 60_000).toFixed(1)}`, samples.at(-1)!);
      nextSample += SAMPLE_EVERY_MS;
      // A person using the dashboard meanwhile.
      await openDashboard(base, cookie, (await firstKeyId(seeded)) ?? "");
      await pageApiKeys(base, seeded.rootKey);
    }
    await verifyMany(base, seeded.rootKey, seeded.keys, 500, 4);
    verified += 500;
  }
  samples.push(sample(run));
  const last = samples.at(-1)!;
  print(`after ${MINUTES} minutes of steady load`, last);
  const first = samples[0];
  const growth = (last.total - first.total) / first.total;
  const peak = samples.reduce((max, s) => Math.max(max, s.total), 0);
  console.log(
    `  ${verified} verifications (${(verified / ((Date.now() - started) / 1000)).toFixed(0)}/s); all processes from ${mb(first.total).trim()} to ${mb(last.total).trim()} (${(growth * 100).toFixed(1)}%), peak ${mb(peak).trim()}`,
  );
}

let keyIdCache: string | null = null;
async function firstKeyId(seeded: Seeded): Promise<string | null> {
  if (keyIdCache) return keyIdCache;
  const response = await fetch(`${base}/api/v1/keys?limit=1`, { headers: { authorization: `Bearer ${seeded.rootKey}` } });
  keyIdCache = ((await response.json()) as { data: { id: string }[] }).data[0]?.id ?? null;
  return keyIdCache;
}

async function measure(kind: "embedded" | "postgres"): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-bench-memory-"));
  const { seeded, env, drop } = await prepare(kind, dataDir);
  // BENCH_NODE_OPTIONS reaches the launcher and server, e.g. "--heapsnapshot-signal=SIGUSR2" to
  // see where memory goes; what they print then shows here.
  const diagnose: Record<string, string> = process.env.BENCH_NODE_OPTIONS ? { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } : {};
  const run = launch("start", { PORT: options.port, NEXTAUTH_URL: base, LOG_LEVEL: "warn", ...env, ...diagnose });
  if (process.env.BENCH_NODE_OPTIONS) run.child.stderr.pipe(process.stderr);
  try {
    await run.waitForOutput(/ready on/, 600_000);
    await waitForHealthy(base);
    console.log(`\n${kind === "embedded" ? "Embedded database (PGlite, in the launcher)" : "PostgreSQL (outside, not counted)"}`);
    console.log(`${"".padEnd(44)}${"launcher".padStart(8)}${"server".padStart(8)}${"other".padStart(8)}${"all RSS".padStart(8)}${"all PSS".padStart(8)}`);
    await sleep(5_000);
    print("idle", sample(run));

    await verifyMany(base, seeded.rootKey, seeded.keys, VERIFICATIONS);
    await sleep(3_000);
    print(`after ${VERIFICATIONS} verifications`, sample(run));

    const cookie = await signIn(base, seeded.owner);
    const listed = await pageApiKeys(base, seeded.rootKey);
    const pages = await pageDashboardKeys(base, cookie);
    const opened = await openDashboard(base, cookie, (await firstKeyId(seeded)) ?? "");
    await sleep(3_000);
    console.log(`  paged through ${listed} keys over the API and ${pages} dashboard pages of keys; opened ${opened} other pages`);
    print("after paging keys and every dashboard page", sample(run));

    await steadyLoad(run, seeded, cookie);
  } finally {
    run.child.kill("SIGTERM");
    await run.exited;
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

printBounds();
const kinds = options.database === "both" ? (["embedded", "postgres"] as const) : ([options.database] as ("embedded" | "postgres")[]);
for (const kind of kinds) await measure(kind);
process.exit(0);
