// `npm run bench:scale`: the dashboard and management API at scale (DESIGN.md section 15.2).
// Seeds a fresh PostgreSQL database (keyhold_scale) with SCALE_KEYS keys (default 1M) and
// SCALE_EVENTS raw usage events (default 10M) over 30 days with set-based SQL (scale-seed.ts),
// derives the usage tables with the real `npm run admin -- usage rebuild`, starts the production
// server, signs in as an OWNER, and times every dashboard page and management API read: cold
// (the first request for it after start) and warm (the median of the next five), as seen on
// loopback. Then compares verification latency against a 10-key database, drives verifications
// at a steady rate, and prints the bytes on disk per raw event and the derived rows written per
// 1,000 verifications. SCALE_REUSE=1 keeps a database seeded by an earlier run;
// SCALE_SEED_ONLY=1 only seeds. The targets are printed; nothing is asserted (DESIGN.md section 12).
// Over 300 lines on purpose: the list of reads it times is the bench's content; seeding lives
// in scale-seed.ts.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";

import autocannon from "autocannon";
import bcrypt from "bcryptjs";
import pg from "pg";

import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { issueKey } from "../../lib/keys/service";
import { DERIVED_USAGE_TABLES } from "../../lib/usage/derived-tables";
import { launch, waitForHealthy, type Launched } from "../../tests/helpers/launcher";
import { seedScale } from "./scale-seed";

const root = path.resolve(import.meta.dirname, "..", "..");
const SERVER = process.env.SCALE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
const NAME = process.env.SCALE_DATABASE ?? "keyhold_scale";
const SMALL = `${NAME}_small`;
const KEYS = Number(process.env.SCALE_KEYS ?? 1_000_000);
const EVENTS = Number(process.env.SCALE_EVENTS ?? 10_000_000);
const DAYS = 30;
// Raw events are kept 7 days by default; the bench keeps all 30 days of them raw, so that 10M
// raw events are on disk while the pages are timed, as issue 11 asks. With the default, the
// server would drop the raw partitions older than 7 days at start, leaving those days as
// derived rows only (the pages read derived rows only either way).
const RAW_RETENTION_DAYS = DAYS + 2;
// Days per `usage rebuild` run.
const REBUILD_DAYS = 4;
const PORT = Number(process.env.BENCH_PORT ?? 3210);
const LOAD_SECONDS = Number(process.env.SCALE_LOAD_SECONDS ?? 30);
const LOAD_KEYS = 100;
const WARM_TARGET_MS = 300;
const COLD_TARGET_MS = 500;
const url = (name: string) => `${SERVER}/${name}`;
const EMAIL = "owner@scale.example";
const PASSWORD = "scale-bench-password";
const SECRET = "scale-bench-secret-scale-bench-secret";

const elapsed = (start: number) => `${((performance.now() - start) / 1000).toFixed(1)} s`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

async function freshDatabase(name: string): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${name}`);
  await migrate(url(name));
}

async function seed(): Promise<void> {
  let start = performance.now();
  await freshDatabase(NAME);
  console.log(`seeding ${NAME}:`);
  await seedScale(url(NAME), { keys: KEYS, events: EVENTS, days: DAYS });
  const client = new pg.Client({ connectionString: url(NAME) });
  await client.connect();
  try {
    const hash = await bcrypt.hash(PASSWORD, 10);
    await client.query(`INSERT INTO users (id, email, name, password_hash, role) VALUES ('usr_scaleowner000000000000', $1, 'Owner', $2, 'OWNER')`, [
      EMAIL,
      hash,
    ]);
    console.log(`seeded in ${elapsed(start)}`);

    // The derived tables, as an operator would make them after a bulk import: the real
    // `usage rebuild`, a few days per run so that no transaction spans all 10M events.
    start = performance.now();
    const today = Math.floor(Date.now() / 86_400_000);
    for (let from = today - DAYS; from <= today; from += REBUILD_DAYS) {
      const chunk = performance.now();
      const range = [
        "--from",
        new Date(from * 86_400_000).toISOString(),
        "--to",
        new Date(Math.min(from + REBUILD_DAYS, today + 1) * 86_400_000).toISOString(),
      ];
      const rebuild = spawnSync("npm", ["run", "--silent", "admin", "--", "usage", "rebuild", ...range, "--json"], {
        cwd: root,
        env: { ...process.env, DATABASE_URL: url(NAME), KEYHOLD_USAGE_RAW_RETENTION_DAYS: String(RAW_RETENTION_DAYS) },
        stdio: ["ignore", "pipe", "inherit"],
        encoding: "utf8",
      });
      if (rebuild.status !== 0) throw new Error(`usage rebuild failed (${rebuild.status})`);
      const result = JSON.parse(rebuild.stdout) as { events: number };
      console.log(`  npm run admin -- usage rebuild ${range.join(" ")}: ${result.events.toLocaleString("en")} events in ${elapsed(chunk)}`);
    }
    console.log(`usage rebuild of ${DAYS + 1} days: ${elapsed(start)}`);
    start = performance.now();
    await client.query("VACUUM ANALYZE");
    console.log(`VACUUM ANALYZE after the rebuild: ${elapsed(start)}`);
  } finally {
    await client.end();
  }
}

/** The 10-key database that verification latency is compared with. */
async function seedSmall(): Promise<string> {
  await freshDatabase(SMALL);
  const db = createDb(url(SMALL), 2);
  try {
    let key = "";
    for (let i = 0; i < 10; i++) key = (await issueKey(db, { name: `small ${i}` }, { type: "system", id: null })).key;
    return key;
  } finally {
    await db.$disconnect();
  }
}

function startServer(database: string, port: number): Launched {
  return launch("start", {
    PORT: String(port),
    DATABASE_URL: url(database),
    NODE_ENV: "production",
    NEXTAUTH_SECRET: SECRET,
    NEXTAUTH_URL: `http://127.0.0.1:${port}`,
    LOG_LEVEL: "warn",
    KEYHOLD_USAGE_RAW_RETENTION_DAYS: String(RAW_RETENTION_DAYS),
  });
}

async function stopServer(server: Launched): Promise<void> {
  server.child.kill("SIGTERM");
  await server.exited;
}

class Session {
  constructor(private readonly base: string) {}

  private cookies = new Map<string, string>();

  private header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join("; ");
  }

  private keep(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair] = line.split(";");
      const at = pair.indexOf("=");
      this.cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
  }

  async signIn(): Promise<void> {
    const csrf = await fetch(`${this.base}/api/auth/csrf`);
    this.keep(csrf);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const response = await fetch(`${this.base}/api/auth/callback/credentials`, {
      method: "POST",
      redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie: this.header() },
      body: new URLSearchParams({ csrfToken, email: EMAIL, password: PASSWORD, json: "true" }),
    });
    this.keep(response);
    if (![...this.cookies.keys()].some((name) => name.includes("session-token"))) throw new Error(`sign-in failed (${response.status})`);
  }

  async time(pathAndQuery: string, headers: Record<string, string> = {}): Promise<{ ms: number; status: number }> {
    const started = performance.now();
    const response = await fetch(`${this.base}${pathAndQuery}`, { headers: { cookie: this.header(), ...headers }, redirect: "manual" });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

// The same reads before issue 11 (old layout, this machine), as the issue reports them.
const BEFORE: Record<string, string> = {
  "/usage?range=30d": "4,748 / 4,940",
  "/usage": "1,272 / 1,558",
  "/": "553 / 1,024",
  "/keys?q=billing-orders": "~500 / ~640",
  "/api/v1/keys?q=partner-mobile": "~500 / ~640",
  "/keys/{busy}": "367 / 442",
  "/keys": "310-390",
  "/scopes": "310-390",
  "/api/v1/scopes": "310-390",
  "/api/v1/keys?limit=100": "5-13",
};

interface Picked {
  busy: string;
  idle: string;
  webhook: string;
}

async function pick(client: pg.Client): Promise<Picked> {
  const busy = (await client.query<{ key_id: string }>(`SELECT key_id FROM usage_key_days WHERE key_id <> '' GROUP BY 1 ORDER BY sum(requests) DESC LIMIT 1`))
    .rows[0].key_id;
  const idle = (
    await client.query<{ id: string }>(
      `SELECT id FROM api_keys k WHERE NOT EXISTS (SELECT 1 FROM usage_key_days d WHERE d.key_id = k.id) ORDER BY created_at LIMIT 1`,
    )
  ).rows[0].id;
  const webhook = (await client.query<{ id: string }>(`SELECT endpoint_id AS id FROM webhook_deliveries GROUP BY 1 ORDER BY count(*) DESC LIMIT 1`)).rows[0].id;
  return { busy, idle, webhook };
}

function reads({ busy, idle, webhook }: Picked, api: Record<string, string>): [string, string, Record<string, string>?][] {
  const ago = (ms: number) => encodeURIComponent(new Date(Date.now() - ms).toISOString());
  return [
    ["page", "/"],
    ["page", "/usage"],
    ["page", "/usage?range=1h"],
    ["page", "/usage?range=7d"],
    ["page", "/usage?range=30d"],
    ["page", "/keys"],
    ["page", "/keys?q=billing-orders"],
    ["page", "/keys?q=acme"],
    ["page", "/keys?q=kh_live_ab"],
    ["page", "/keys?ownerId=owner_0"],
    ["page", "/keys?scope=billing:read&status=active"],
    ["page", "/keys?status=expired"],
    ["page", `/keys/${busy}`],
    ["page", `/keys/${busy}?range=30d`],
    ["page", `/keys/${idle}`],
    ["page", "/scopes"],
    ["page", "/audit"],
    ["page", `/audit?targetId=${busy}`],
    ["page", "/audit?action=key.revoke"],
    ["page", "/webhooks"],
    ["page", `/webhooks/${webhook}`],
    ["page", "/users"],
    ["api", "/api/v1/keys", api],
    ["api", "/api/v1/keys?limit=100", api],
    ["api", "/api/v1/keys?ownerId=owner_0", api],
    ["api", "/api/v1/keys?ownerId=owner_4999", api],
    ["api", "/api/v1/keys?scope=billing:read&status=active", api],
    ["api", "/api/v1/keys?status=expired", api],
    ["api", "/api/v1/keys?q=partner-mobile", api],
    ["api", "/api/v1/keys?q=kh_live_0f", api],
    ["api", `/api/v1/keys/${busy}`, api],
    ["api", `/api/v1/keys/${busy}/usage`, api],
    ["api", `/api/v1/keys/${busy}/usage?granularity=minute&from=${ago(3_600_000)}`, api],
    ["api", `/api/v1/keys/${busy}/usage?granularity=day&include=latency&from=${ago(DAYS * 86_400_000)}`, api],
    ["api", `/api/v1/keys/${idle}/usage?granularity=day&from=${ago(DAYS * 86_400_000)}`, api],
    ["api", `/api/v1/keys/${busy}/addresses`, api],
    ["api", "/api/v1/scopes", api],
    ["api", "/api/v1/audit", api],
    ["api", `/api/v1/audit?targetId=${busy}`, api],
    ["api", "/api/v1/audit?action=key.revoke", api],
    ["api", "/api/v1/webhooks", api],
    ["api", `/api/v1/webhooks/${webhook}`, api],
    ["api", `/api/v1/webhooks/${webhook}/deliveries`, api],
  ];
}

async function timeReads(base: string, picked: Picked, api: Record<string, string>): Promise<void> {
  const session = new Session(base);
  await session.signIn();
  console.log(
    `\n| read | cold ms | warm ms (median of 5) | target (${COLD_TARGET_MS} cold / ${WARM_TARGET_MS} warm) | status | before issue 11, warm / cold ms |\n|---|---:|---:|---|---|---|`,
  );
  let missed = 0;
  for (const [kind, target, headers] of reads(picked, api)) {
    const cold = await session.time(target, headers);
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) warm.push((await session.time(target, headers)).ms);
    const label = target
      .replace(picked.busy, "{busy}")
      .replace(picked.idle, "{idle}")
      .replace(picked.webhook, "{webhook}")
      .replace(/from=[^&]+/, "from=…");
    const met = cold.ms < COLD_TARGET_MS && median(warm) < WARM_TARGET_MS;
    if (!met) missed++;
    const status = cold.status === 200 ? "200" : `**${cold.status}**`;
    console.log(
      `| ${kind === "page" ? "page " : "GET "}${label} | ${cold.ms.toFixed(0)} | ${median(warm).toFixed(0)} | ${met ? "met" : "**missed**"} | ${status} | ${BEFORE[label] ?? ""} |`,
    );
  }
  console.log(`\n${missed === 0 ? "every read met its targets" : `${missed} read(s) missed a target`}`);
}

const verifyRound = (base: string, key: string) =>
  autocannon({ url: `${base}/api/v1/whoami`, connections: 10, amount: 3_000, headers: { authorization: `Bearer ${key}` } });

// Verification with 1M keys against 10 keys, in alternating rounds on two servers side by side,
// so that both see the same load from the rest of the machine.
async function compareVerify(bigBase: string, bigKey: string, smallBase: string, smallKey: string): Promise<void> {
  const results: Record<"big" | "small", autocannon.Result[]> = { big: [], small: [] };
  await verifyRound(bigBase, bigKey);
  await verifyRound(smallBase, smallKey);
  for (let round = 0; round < 3; round++) {
    results.big.push(await verifyRound(bigBase, bigKey));
    results.small.push(await verifyRound(smallBase, smallKey));
  }
  console.log(`\n| GET /api/v1/whoami, 10 connections, 3 rounds of 3,000 | p50 ms | p99 ms | req/s |\n|---|---:|---:|---:|`);
  for (const [label, runs] of [
    [`${KEYS.toLocaleString("en")} keys`, results.big],
    ["10 keys", results.small],
  ] as const) {
    console.log(
      `| ${label} | ${runs.map((r) => r.latency.p50).join(", ")} | ${runs.map((r) => r.latency.p99).join(", ")} | ${runs.map((r) => Math.round(r.requests.average)).join(", ")} |`,
    );
  }
}

const DERIVED: string[] = DERIVED_USAGE_TABLES.map(({ table }) => table);

async function rowWrites(client: pg.Client): Promise<Record<string, { inserted: number; updated: number }>> {
  const { rows } = await client.query<{ relname: string; ins: string; upd: string }>(
    `SELECT relname, n_tup_ins AS ins, n_tup_upd AS upd FROM pg_stat_user_tables WHERE relname = ANY($1) OR relname LIKE 'usage_events_%'`,
    [DERIVED],
  );
  const writes: Record<string, { inserted: number; updated: number }> = {};
  for (const row of rows) {
    const table = DERIVED.includes(row.relname) ? row.relname : "usage_events";
    writes[table] ??= { inserted: 0, updated: 0 };
    writes[table].inserted += Number(row.ins);
    writes[table].updated += Number(row.upd);
  }
  return writes;
}

// Sustained load of the real server: what each verification leaves on disk. The counts come
// from PostgreSQL's table statistics, which idle backends report within about 10 s.
async function sustainedLoad(client: pg.Client, base: string, keys: string[]): Promise<void> {
  const before = await rowWrites(client);
  const load = await autocannon({
    url: `${base}/api/v1/whoami`,
    connections: 20,
    duration: LOAD_SECONDS,
    requests: keys.map((key) => ({ method: "GET", headers: { authorization: `Bearer ${key}` } })),
  });
  await new Promise((resolve) => setTimeout(resolve, 15_000));
  const after = await rowWrites(client);
  const verified = load["2xx"];
  const delta = (table: string) => ({ inserted: after[table].inserted - before[table].inserted, updated: after[table].updated - before[table].updated });
  console.log(
    `\nsustained load: ${verified.toLocaleString("en")} verifications of ${LOAD_KEYS} keys in turn, ${LOAD_SECONDS} s at ${Math.round(load.requests.average)} req/s (p50 ${load.latency.p50} ms, p99 ${load.latency.p99} ms); raw events written: ${delta("usage_events").inserted.toLocaleString("en")}`,
  );
  console.log(`| derived table | rows inserted | rows updated | inserted per 1,000 verifications |\n|---|---:|---:|---:|`);
  let inserted = 0;
  for (const table of DERIVED) {
    const { inserted: n, updated } = delta(table);
    inserted += n;
    console.log(`| ${table} | ${n.toLocaleString("en")} | ${updated.toLocaleString("en")} | ${((n / verified) * 1000).toFixed(2)} |`);
  }
  console.log(`| all derived | ${inserted.toLocaleString("en")} | | ${((inserted / verified) * 1000).toFixed(2)} |`);
}

async function sizes(client: pg.Client): Promise<void> {
  const size = await client.query<{ bytes: string; heap: string; events: string }>(
    `SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'usage_events'::regclass) AS bytes,
            (SELECT sum(pg_table_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'usage_events'::regclass) AS heap,
            (SELECT count(*) FROM usage_events) AS events`,
  );
  const { bytes, heap, events } = size.rows[0];
  console.log(
    `\nraw events on disk: ${(Number(bytes) / Number(events)).toFixed(1)} bytes per event with indexes, ${(Number(heap) / Number(events)).toFixed(1)} without (${(Number(bytes) / 1e9).toFixed(2)} GB for ${Number(events).toLocaleString("en")} events)`,
  );
  const derived = await client.query<{ table: string; rows: string; bytes: string }>(
    `SELECT relname AS table, reltuples::bigint AS rows, pg_total_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY($1) ORDER BY 1`,
    [DERIVED],
  );
  for (const row of derived.rows) console.log(`  ${row.table}: ~${Number(row.rows).toLocaleString("en")} rows, ${(Number(row.bytes) / 1e6).toFixed(1)} MB`);
  const keys = await client.query<{ bytes: string }>(`SELECT pg_total_relation_size('api_keys') AS bytes`);
  console.log(`  api_keys: ${(Number(keys.rows[0].bytes) / 1e6).toFixed(1)} MB with indexes`);
}

async function measure(): Promise<void> {
  const smallKey = await seedSmall();
  const client = new pg.Client({ connectionString: url(NAME) });
  await client.connect();
  const db = createDb(url(NAME), 2);
  const { key: rootKey } = await issueKey(
    db,
    { name: "bench root", scopes: ["keys:read", "keys:write", "keys:verify", "usage:read", "webhooks:write", "audit:read"] },
    { type: "system", id: null },
  );
  const { key: plain } = await issueKey(db, { name: "bench verify" }, { type: "system", id: null });
  const loadKeys: string[] = [];
  for (let i = 0; i < LOAD_KEYS; i++) loadKeys.push((await issueKey(db, { name: `bench load ${i}` }, { type: "system", id: null })).key);
  const picked = await pick(client);
  await db.$disconnect();

  console.log(`\nraw events kept ${RAW_RETENTION_DAYS} days for this bench (KEYHOLD_USAGE_RAW_RETENTION_DAYS; the default is 7)`);
  const server = startServer(NAME, PORT);
  const small = startServer(SMALL, PORT + 1);
  try {
    const base = `http://127.0.0.1:${PORT}`;
    await Promise.all([waitForHealthy(base), waitForHealthy(`http://127.0.0.1:${PORT + 1}`)]);
    await timeReads(base, picked, { authorization: `Bearer ${rootKey}` });
    await compareVerify(base, plain, `http://127.0.0.1:${PORT + 1}`, smallKey);
    await stopServer(small);
    await sustainedLoad(client, base, loadKeys);
    await sizes(client);
  } finally {
    await Promise.all([stopServer(server), stopServer(small)]);
    await client.end();
  }
}

async function main() {
  const start = performance.now();
  if (process.env.SCALE_REUSE !== "1") await seed();
  // A database seeded by an earlier run gets the migrations written since, as a server would.
  else await migrate(url(NAME));
  // SCALE_SEED_ONLY=1 prepares the database while a build runs; SCALE_REUSE=1 measures it later.
  if (process.env.SCALE_SEED_ONLY === "1") return;
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) throw new Error("no production build: run `npm run build` first");
  await measure();
  console.log(`\nbench:scale done in ${elapsed(start)}`);
}

await main();
