import pg from "pg";

// The data of `npm run bench:scale`, written with set-based SQL: keys, their creation audit
// entries, webhook deliveries and raw usage events. A row-at-a-time load of 1M keys and 10M
// events took over half an hour, nearly all of it spent maintaining indexes (the trigram and
// scope GIN indexes above all) one row at a time; here each table is filled without its
// secondary indexes, which are then built once by sorting, as a restore would.

export interface ScaleSeed {
  keys: number;
  events: number;
  days: number;
}

// Names a team would give keys: a customer, what the key is for, where it runs, a number.
const CUSTOMERS = [
  "acme",
  "globex",
  "initech",
  "umbrella",
  "hooli",
  "stark",
  "wayne",
  "wonka",
  "tyrell",
  "cyberdyne",
  "soylent",
  "massive",
  "vandelay",
  "oceanic",
  "aperture",
  "blackmesa",
  "monarch",
  "dunder",
  "pied-piper",
  "nakatomi",
];
export const PURPOSES = ["billing", "orders", "search", "mobile", "partner", "reports", "checkout", "ingest", "analytics", "support"];
const PLACES = ["prod", "staging", "ci", "eu", "us", "worker", "cron", "backend"];
export const SCOPES = ["orders:read", "orders:write", "billing:read", "reports:read", "profile:read"];

/** The key id of key number `n` (1-based) in SQL, so events and lookups can name keys without a join. */
export const keyIdSql = (n: string) => `'key_' || substr(md5((${n})::text), 1, 22)`;

async function timed(label: string, work: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  await work();
  console.log(`  ${label}: ${((performance.now() - start) / 1000).toFixed(1)} s`);
}

/** Runs `load` on `table` with its secondary indexes dropped and its triggers off, then rebuilds the indexes. */
async function bulkLoad(client: pg.Client, table: string, load: () => Promise<unknown>): Promise<void> {
  const { rows } = await client.query<{ name: string; definition: string }>(
    `SELECT i.indexname AS name, i.indexdef AS definition FROM pg_indexes i
     WHERE i.schemaname = 'public' AND i.tablename = $1
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`,
    [table],
  );
  for (const index of rows) await client.query(`DROP INDEX "${index.name}"`);
  await client.query(`ALTER TABLE "${table}" DISABLE TRIGGER ALL`);
  await timed(`${table}: rows`, load);
  await client.query(`ALTER TABLE "${table}" ENABLE TRIGGER ALL`);
  await timed(`${table}: ${rows.length} indexes`, async () => {
    for (const index of rows) await client.query(index.definition);
  });
}

async function seedKeys(client: pg.Client, keys: number): Promise<void> {
  // Key n: a name searchable by customer, purpose and place ("acme billing-orders prod 1234"),
  // one of 5,000 owners with a skew (a few customers own many keys), a combination of the five
  // scopes, a tenth with an expiry (half of them past), one in twenty revoked, created over the
  // past year. Triggers are off during the load (key counts, foreign keys of null columns): the
  // counts are recounted after.
  await bulkLoad(client, "api_keys", () =>
    client.query(
      `WITH combos AS (
         SELECT c, coalesce((SELECT array_agg(s ORDER BY i) FROM unnest($1::text[]) WITH ORDINALITY AS u(s, i) WHERE (c >> (i::int - 1)) % 2 = 1), '{}') AS scopes
         FROM generate_series(0, 31) AS c)
       INSERT INTO api_keys (id, name, start, hash, environment, owner_id, scopes, meta, expires_at, revoked_at, created_at, updated_at)
       SELECT ${keyIdSql("g")},
              ($2::text[])[1 + g % 20] || ' ' || ($3::text[])[1 + (g / 20) % 10] || '-' || ($3::text[])[1 + (g / 200) % 10] || ' ' || ($4::text[])[1 + (g / 7) % 8] || ' ' || g,
              'kh_live_' || substr(md5('s' || g), 1, 4),
              encode(sha256(g::text::bytea), 'hex'),
              'live',
              'owner_' || floor(5000 * power((g::bigint * 7919 % 100003) / 100003.0, 2))::int,
              combos.scopes,
              '{}',
              CASE WHEN g % 10 = 0 THEN now() + ((g % 20) - 10) * interval '1 day' END,
              CASE WHEN g % 20 = 7 THEN now() - interval '1 day' END,
              now() - (g % 365) * interval '1 day' - (g % 86400) * interval '1 second', now()
       FROM generate_series(1, $5::int) AS g JOIN combos ON combos.c = g % 32`,
      [SCOPES, CUSTOMERS, PURPOSES, PLACES, keys],
    ),
  );
  await client.query("SELECT key_counts_refresh()");
  for (const name of SCOPES)
    await client.query(`INSERT INTO scopes (id, name) VALUES ($1, $2)`, [`scp_${name.replace(":", "")}aaaaaaaaaaaaaaa`.slice(0, 26), name]);
  // Every key's creation is in the audit log, as it would be had the keys been issued one by one.
  await bulkLoad(client, "audit_logs", () =>
    client.query(
      `INSERT INTO audit_logs (actor_type, actor_id, action, target_type, target_id, data, at)
       SELECT 'cli', NULL, 'key.create', 'key', id, jsonb_build_object('name', name), created_at FROM api_keys ORDER BY created_at`,
    ),
  );
}

async function seedWebhooks(client: pg.Client): Promise<void> {
  // Three endpoints, disabled so that nothing is delivered during the bench, and 30 days of
  // past deliveries on the first.
  await client.query(
    `INSERT INTO webhook_endpoints (id, url, description, events, enabled, secret_encrypted, disabled_reason, created_at, updated_at)
     SELECT 'whk_scale' || lpad(n::text, 17, '0'), 'https://hooks' || n || '.example.com/keyhold', 'bench endpoint ' || n, ARRAY['key.revoked', 'key.expired'],
            false, 'unused', 'disabled for the bench', now() - interval '40 days', now()
     FROM generate_series(1, 3) AS n`,
  );
  await bulkLoad(client, "webhook_deliveries", () =>
    client.query(
      `INSERT INTO webhook_deliveries (id, endpoint_id, event_type, body, status, attempts, response_status, visible_at, created_at, last_attempt_at)
       SELECT 'whd_' || substr(md5('d' || g), 1, 22), 'whk_scale' || lpad('1', 17, '0'), 'key.revoked', '{"type":"key.revoked"}',
              CASE WHEN g % 50 = 0 THEN 'failed' ELSE 'delivered' END, 1 + (g % 50 = 0)::int * 9, CASE WHEN g % 50 = 0 THEN 500 ELSE 200 END,
              now() - g * interval '30 seconds', now() - g * interval '30 seconds', now() - g * interval '30 seconds'
       FROM generate_series(1, 86400) AS g`,
    ),
  );
}

// Raw events, one daily partition at a time: the day's table is filled while it is a plain
// table without indexes, then attached, which builds its indexes in one pass each. Keys are
// skewed the way API traffic is: a few keys make most requests, most keys are idle
// (random()^4 over the key numbers).
async function seedEvents(client: pg.Client, seed: ScaleSeed): Promise<void> {
  const perDay = Math.ceil(seed.events / seed.days);
  const today = Math.floor(Date.now() / 86_400_000);
  for (let back = seed.days; back >= 0; back--) {
    const day = new Date((today - back) * 86_400_000).toISOString().slice(0, 10);
    const name = `usage_events_${day.replaceAll("-", "")}`;
    // The last `days` times 24 hours end now: the oldest and the current day are partial.
    const from = `greatest(now() - ${seed.days} * interval '1 day', '${day}'::timestamptz)`;
    const to = `least(now(), '${day}'::timestamptz + interval '1 day')`;
    const attached = await client.query(`SELECT 1 FROM pg_inherits WHERE inhrelid = to_regclass($1)`, [name]);
    if (attached.rowCount) await client.query(`ALTER TABLE usage_events DETACH PARTITION "${name}"`);
    await client.query(`DROP TABLE IF EXISTS "${name}"`);
    await client.query(`CREATE TABLE "${name}" (LIKE usage_events INCLUDING DEFAULTS)`);
    await client.query(
      `INSERT INTO "${name}" (key_id, outcome, method, path, status, latency_ms, ip, at)
       SELECT CASE WHEN r < 0.02 THEN NULL ELSE ${keyIdSql("1 + floor($1::int * power(random(), 4))::int")} END,
              CASE WHEN r < 0.02 THEN 'invalid_key' WHEN r < 0.05 THEN 'rate_limited' WHEN r < 0.06 THEN 'insufficient_scope' WHEN r < 0.065 THEN 'expired_key' ELSE 'valid' END,
              CASE WHEN r < 0.5 THEN 'GET' ELSE 'POST' END,
              '/api/v1/' || ($2::text[])[1 + (floor(random() * 10))::int] || '/' || (floor(random() * 20))::int,
              CASE WHEN r < 0.02 THEN 401 WHEN r < 0.05 THEN 429 WHEN r < 0.06 THEN 403 WHEN r < 0.065 THEN 401 WHEN r > 0.995 THEN 500 ELSE 200 END,
              exp(random() * 5)::real,
              '10.' || (floor(random() * 20))::int || '.' || (floor(random() * 250))::int || '.1',
              f + random() * (t - f)
       FROM (SELECT random() AS r, ${from} AS f, ${to} AS t FROM generate_series(1, greatest(0, round($3::int * extract(epoch FROM ${to} - ${from}) / 86400))::int)) AS g`,
      [seed.keys, PURPOSES, perDay],
    );
    await client.query(`ALTER TABLE usage_events ATTACH PARTITION "${name}" FOR VALUES FROM ('${day}') TO ('${day}'::date + 1)`);
    process.stdout.write(`\r  usage_events: day ${seed.days - back + 1}/${seed.days + 1}`);
  }
  process.stdout.write("\n");
}

/** Fills a migrated, empty database; prints what each part took. */
export async function seedScale(url: string, seed: ScaleSeed): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    // Partition bounds and day literals below are UTC days, as usage_events_add_partition makes them.
    await client.query("SET TimeZone = 'UTC'");
    await client.query("SET maintenance_work_mem = '512MB'");
    await client.query("SET work_mem = '64MB'");
    await timed(`${seed.keys.toLocaleString("en")} keys with their audit entries`, () => seedKeys(client, seed.keys));
    await timed("webhook endpoints and deliveries", () => seedWebhooks(client));
    await timed(`${seed.events.toLocaleString("en")} raw events over ${seed.days} days`, () => seedEvents(client, seed));
    // Statistics for the rebuild's plans; the VACUUM comes after the rebuild, which reads every row.
    await timed("ANALYZE", () => client.query("ANALYZE"));
  } finally {
    await client.end();
  }
}
