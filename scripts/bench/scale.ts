// `npm run bench:scale`: the dashboard and management API at scale (DESIGN.md section 15.2).
// Seeds a fresh PostgreSQL database (keyhold_scale) with SCALE_KEYS keys (default 1M) and
// SCALE_EVENTS raw usage events (default 10M) over 30 days using SQL, derives the usage tables
// with `usage rebuild`, starts the production server, signs in as an OWNER, and times every
// dashboard page and management API read: cold (the first request after start) and warm (the
// median of the next five), as seen on loopback. Then drives verifications at a steady rate and
// prints the bytes on disk per raw event and the derived rows written per 1,000 verifications.
// SCALE_REUSE=1 keeps a database seeded by an earlier run; SCALE_SEED_ONLY=1 only seeds. The targets are printed; nothing is
// asserted (DESIGN.md section 12).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import autocannon from "autocannon";
import bcrypt from "bcryptjs";
import pg from "pg";
import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";
import { issueKey } from "../../lib/keys/service";
import { ensureUsagePartitions } from "../../lib/usage/usage-partitions";
import { launch, waitForHealthy } from "../../tests/helpers/launcher";

const root = path.resolve(import.meta.dirname, "..", "..");
const SERVER = process.env.SCALE_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
const NAME = process.env.SCALE_DATABASE ?? "keyhold_scale";
const KEYS = Number(process.env.SCALE_KEYS ?? 1_000_000);
const EVENTS = Number(process.env.SCALE_EVENTS ?? 10_000_000);
const DAYS = 30;
const PORT = Number(process.env.BENCH_PORT ?? 3210);
const LOAD_SECONDS = Number(process.env.SCALE_LOAD_SECONDS ?? 20);
const base = `http://127.0.0.1:${PORT}`;
const url = `${SERVER}/${NAME}`;
const EMAIL = "owner@scale.example";
const PASSWORD = "scale-bench-password";
const SCOPES = ["orders:read", "orders:write", "billing:read", "reports:read", "profile:read"];
const WORDS = ["billing", "orders", "search", "mobile", "partner", "reports", "checkout", "ingest", "analytics", "support"];

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

async function seed(): Promise<void> {
  await admin(`DROP DATABASE IF EXISTS ${NAME} WITH (FORCE)`);
  await admin(`CREATE DATABASE ${NAME}`);
  await migrate(url);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const db = createDb(url, 2);
  try {
    let start = performance.now();
    await client.query("ALTER TABLE api_keys DISABLE TRIGGER api_keys_key_counts");
    // Ids of our shape (key_ and 22 base62), unique hashes, names searchable by word, a tenth
    // with an expiry (half of them past), one in twenty revoked, created over the past year.
    await client.query(
      `INSERT INTO api_keys (id, name, start, hash, environment, owner_id, scopes, meta, expires_at, revoked_at, created_at, updated_at)
       SELECT 'key_' || substr(md5(g::text), 1, 22),
              ($2::text[])[1 + g % 10] || '-' || ($2::text[])[1 + (g / 10) % 10] || '-' || g,
              'kh_live_' || substr(md5('s' || g), 1, 4),
              encode(sha256(g::text::bytea), 'hex'),
              'live', 'owner_' || (g % 5000),
              (SELECT coalesce(array_agg(s), '{}') FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i) WHERE (g >> i::int) % 2 = 1),
              '{}',
              CASE WHEN g % 10 = 0 THEN now() + ((g % 20) - 10) * interval '1 day' END,
              CASE WHEN g % 20 = 7 THEN now() - interval '1 day' END,
              now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second', now()
       FROM generate_series(1, $3::int) AS g`,
      [SCOPES, WORDS, KEYS],
    );
    await client.query("ALTER TABLE api_keys ENABLE TRIGGER api_keys_key_counts");
    await client.query("SELECT key_counts_refresh()");
    for (const name of SCOPES) await client.query(`INSERT INTO scopes (id, name) VALUES ($1, $2)`, [`scp_${name.replace(":", "")}aaaaaaaaaaaaaaa`.slice(0, 26), name]);
    console.log(`seeded ${KEYS.toLocaleString("en")} keys in ${elapsed(start)}`);

    // Raw events over 30 days, one statement per day. Keys are skewed the way API traffic is:
    // a few keys make most requests, most keys are idle (random()^4 over the key numbers).
    start = performance.now();
    await ensureUsagePartitions(db, { now: new Date(), rawRetentionDays: DAYS + 1 });
    const perDay = Math.ceil(EVENTS / DAYS);
    for (let day = DAYS; day >= 1; day--) {
      await client.query(
        `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
         SELECT CASE WHEN r < 0.02 THEN NULL ELSE 'key_' || substr(md5((1 + floor($2::int * power(random(), 4)))::int::text), 1, 22) END,
                CASE WHEN r < 0.02 THEN 'invalid_key' WHEN r < 0.05 THEN 'rate_limited' WHEN r < 0.06 THEN 'insufficient_scope' WHEN r < 0.065 THEN 'expired_key' ELSE 'valid' END,
                CASE WHEN r < 0.5 THEN 'GET' ELSE 'POST' END,
                '/api/v1/' || ($3::text[])[1 + (floor(random() * 10))::int] || '/' || (floor(random() * 20))::int,
                CASE WHEN r < 0.02 THEN 401 WHEN r < 0.05 THEN 429 WHEN r < 0.06 THEN 403 WHEN r < 0.065 THEN 401 WHEN r > 0.995 THEN 500 ELSE 200 END,
                exp(random() * 5)::real,
                '10.' || (floor(random() * 20))::int || '.' || (floor(random() * 250))::int || '.1',
                now() - $1::int * interval '1 day' + random() * interval '1 day'
         FROM (SELECT random() AS r FROM generate_series(1, $4::int)) AS g`,
        [day, KEYS, WORDS, perDay],
      );
      process.stdout.write(`\rseeding events: day ${DAYS - day + 1}/${DAYS} (${elapsed(start)})`);
    }
    console.log(`\nseeded ${(perDay * DAYS).toLocaleString("en")} events in ${elapsed(start)}`);
    const hash = await bcrypt.hash(PASSWORD, 10);
    await client.query(`INSERT INTO users (id, email, name, password_hash, role) VALUES ('usr_scaleowner000000000000', $1, 'Owner', $2, 'OWNER')`, [EMAIL, hash]);
    await client.query("VACUUM ANALYZE");

    // The derived tables, as an operator would make them after a bulk import.
    start = performance.now();
    const rebuild = spawnSync(process.execPath, ["--import", "tsx", "scripts/admin.ts", "usage", "rebuild", "--from", new Date(Date.now() - (DAYS + 1) * 86_400_000).toISOString(), "--json"], {
      cwd: root,
      env: { ...process.env, DATABASE_URL: url, KEYHOLD_USAGE_RAW_RETENTION_DAYS: String(DAYS + 2) },
      stdio: ["ignore", "pipe", "inherit"],
      encoding: "utf8",
    });
    if (rebuild.status !== 0) throw new Error(`usage rebuild failed (${rebuild.status})`);
    console.log(`usage rebuild: ${rebuild.stdout.replace(/\s+/g, " ").trim()} in ${elapsed(start)}`);
    await client.query("VACUUM ANALYZE");
  } finally {
    await db.$disconnect();
    await client.end();
  }
}

class Session {
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
    const csrf = await fetch(`${base}/api/auth/csrf`);
    this.keep(csrf);
    const { csrfToken } = (await csrf.json()) as { csrfToken: string };
    const response = await fetch(`${base}/api/auth/callback/credentials`, {
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
    const response = await fetch(`${base}${pathAndQuery}`, { headers: { cookie: this.header(), ...headers }, redirect: "manual" });
    await response.arrayBuffer();
    return { ms: performance.now() - started, status: response.status };
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const db = createDb(url, 2);
  const { key: root } = await issueKey(db, { name: "bench root", scopes: ["keys:read", "keys:write", "keys:verify", "usage:read"] }, { type: "system", id: null });
  const { key: plain } = await issueKey(db, { name: "bench load" }, { type: "system", id: null });
  const busy = (await client.query<{ key_id: string }>(`SELECT key_id FROM usage_key_days WHERE key_id <> '' GROUP BY 1 ORDER BY sum(requests) DESC LIMIT 1`)).rows[0].key_id;
  const idle = (await client.query<{ id: string }>(`SELECT id FROM api_keys ORDER BY created_at LIMIT 1`)).rows[0].id;

  const server = launch("start", {
    PORT: String(PORT),
    DATABASE_URL: url,
    NODE_ENV: "production",
    NEXTAUTH_SECRET: "scale-bench-secret-scale-bench-secret",
    NEXTAUTH_URL: base,
    LOG_LEVEL: "warn",
    KEYHOLD_USAGE_RAW_RETENTION_DAYS: String(DAYS + 2),
  });
  try {
    await waitForHealthy(base);
    const session = new Session();
    // Without a session the pages are left out, the API reads still timed.
    const signedIn = await session.signIn().then(
      () => true,
      (error: unknown) => (console.log(`dashboard pages skipped: ${error instanceof Error ? error.message : String(error)}`), false),
    );
    const api = { authorization: `Bearer ${root}` };
    const rows: [string, string, Record<string, string>?][] = [
      ["page", "/"],
      ["page", "/usage"],
      ["page", "/usage?range=1h"],
      ["page", "/usage?range=7d"],
      ["page", "/usage?range=30d"],
      ["page", "/keys"],
      ["page", "/keys?q=billing-orders"],
      ["page", "/keys?q=kh_live_ab"],
      ["page", `/keys/${busy}`],
      ["page", `/keys/${busy}?range=30d`],
      ["page", `/keys/${idle}`],
      ["page", "/scopes"],
      ["page", "/audit"],
      ["api", "/api/v1/keys", api],
      ["api", "/api/v1/keys?limit=100", api],
      ["api", "/api/v1/keys?ownerId=owner_42", api],
      ["api", "/api/v1/keys?scope=billing:read&status=active", api],
      ["api", "/api/v1/keys?q=partner-mobile", api],
      ["api", "/api/v1/keys?q=kh_live_0f", api],
      ["api", `/api/v1/keys/${busy}`, api],
      ["api", `/api/v1/keys/${busy}/usage`, api],
      ["api", `/api/v1/keys/${busy}/usage?granularity=minute&from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString())}`, api],
      ["api", `/api/v1/keys/${busy}/usage?granularity=day&include=latency&from=${encodeURIComponent(new Date(Date.now() - DAYS * 86_400_000).toISOString())}`, api],
      ["api", `/api/v1/keys/${busy}/addresses`, api],
      ["api", "/api/v1/scopes", api],
    ];
    console.log("\n| read | cold ms | warm ms (median of 5) | status |\n|---|---:|---:|---|");
    for (const [kind, target, headers] of rows) {
      if (kind === "page" && !signedIn) continue;
      const cold = await session.time(target, headers);
      const warm: number[] = [];
      for (let i = 0; i < 5; i++) warm.push((await session.time(target, headers)).ms);
      const label = target.replace(busy, "{busy}").replace(idle, "{idle}").replace(/from=[^&]+/, "from=…");
      console.log(`| ${label} | ${cold.ms.toFixed(0)} | ${median(warm).toFixed(0)} | ${cold.status} |`);
    }

    // Verification latency with 1M keys in the table (compare with `npm run bench`, 1 key).
    const verify = await autocannon({ url: `${base}/api/v1/whoami`, connections: 10, amount: 5_000, headers: { authorization: `Bearer ${plain}` } });
    console.log(`\nGET /api/v1/whoami with ${KEYS.toLocaleString("en")} keys: p50 ${verify.latency.p50} ms, p99 ${verify.latency.p99} ms, ${verify.requests.average} req/s`);

    // Sustained load of the real server: what each verification leaves on disk.
    const derivedTables = ["usage_rollups", "usage_hours", "usage_key_hours", "usage_key_days", "usage_path_hours", "usage_key_addresses", "usage_invalid_addresses"];
    const countDerived = async () => {
      let total = 0;
      for (const table of derivedTables) total += Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
      return total;
    };
    const before = await countDerived();
    const load = await autocannon({ url: `${base}/api/v1/whoami`, connections: 20, duration: LOAD_SECONDS, headers: { authorization: `Bearer ${plain}` } });
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const after = await countDerived();
    const verified = load["2xx"];
    console.log(`sustained load: ${verified.toLocaleString("en")} verifications in ${LOAD_SECONDS} s (${load.requests.average} req/s), ${after - before} derived rows: ${(((after - before) / verified) * 1000).toFixed(2)} per 1,000 verifications`);
    const size = await client.query<{ bytes: string; events: string }>(
      `SELECT (SELECT sum(pg_total_relation_size(inhrelid)) FROM pg_inherits WHERE inhparent = 'usage_events'::regclass) AS bytes,
              (SELECT count(*) FROM usage_events) AS events`,
    );
    const { bytes, events } = size.rows[0];
    console.log(`raw events on disk: ${(Number(bytes) / Number(events)).toFixed(1)} bytes per event (${(Number(bytes) / 1e9).toFixed(2)} GB for ${Number(events).toLocaleString("en")}, indexes included)`);
    const derivedBytes = await client.query<{ table: string; rows: string; bytes: string }>(
      `SELECT relname AS table, reltuples::bigint AS rows, pg_total_relation_size(oid) AS bytes FROM pg_class WHERE relname = ANY($1) ORDER BY 1`,
      [derivedTables],
    );
    for (const row of derivedBytes.rows) console.log(`  ${row.table}: ~${Number(row.rows).toLocaleString("en")} rows, ${(Number(row.bytes) / 1e6).toFixed(1)} MB`);
  } finally {
    server.child.kill("SIGTERM");
    await server.exited;
    await db.$disconnect();
    await client.end();
  }
}

async function main() {
  if (process.env.SCALE_REUSE !== "1") await seed();
  // SCALE_SEED_ONLY=1 prepares the database while a build runs; SCALE_REUSE=1 measures it later.
  if (process.env.SCALE_SEED_ONLY === "1") return;
  if (!existsSync(path.join(root, ".next", "BUILD_ID"))) throw new Error("no production build: run `npm run build` first");
  await measure();
}

await main();
