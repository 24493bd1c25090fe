import { readFileSync } from "node:fs";

import pg from "pg";

import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { E2E_DATABASE_URL_FILE, e2eDb } from "./e2e-database";

export interface ScaleSeed {
  /** A busy key with a rate limit, a quota, long metadata and traffic in the last hour. */
  heroId: string;
  /** A key that was never used. */
  idleId: string;
  /** The owner of every seeded key whose number ends in 7, so a filtered list is small. */
  smallOwner: string;
  keys: number;
  events: number;
}

const NAMES = ["Checkout service", "Billing worker", "Search API", "Mobile app", "Partner sync", "Reports export", "Webhook relay", "Inventory"];

/**
 * A realistic amount of data for screenshots and layout checks, written with plain SQL (it is
 * what a restore or a bulk import does): `keys` keys over a year, `events` usage events over the
 * last day from a few hundred hot keys, then the derived usage tables rebuilt from them.
 */
export async function seedScale(run: string, { keys = 3_000, events = 20_000 } = {}): Promise<ScaleSeed> {
  const client = new pg.Client({ connectionString: readFileSync(E2E_DATABASE_URL_FILE, "utf8").trim() });
  await client.connect();
  const id = (n: number) => `key_${run}${String(n).padStart(16, "0")}`;
  const seed = { heroId: id(1), idleId: id(keys), smallOwner: `cus_small_${run}`, keys, events: events + 3_000 };
  // Once per database: a retried test (a new worker) finds the same data, not a second copy.
  const { rowCount } = await client.query("SELECT 1 FROM api_keys WHERE id = $1", [seed.heroId]);
  if (rowCount) {
    await client.end();
    return seed;
  }
  try {
    await client.query("BEGIN");
    await client.query(
      `INSERT INTO api_keys (id, name, start, hash, environment, owner_id, scopes, meta, expires_at, revoked_at, revoked_reason, created_at, updated_at)
       SELECT 'key_' || $1 || lpad(n::text, 16, '0'),
              ($3::text[])[1 + n % 8] || ' ' || n,
              'kh_' || CASE WHEN n % 9 = 0 THEN 'test' ELSE 'live' END || '_' || substr(md5($1 || n), 1, 4),
              md5($1 || n) || md5(n || $1),
              CASE WHEN n % 9 = 0 THEN 'test' ELSE 'live' END::"Environment",
              CASE WHEN n % 10 = 7 THEN 'cus_small_' || $1 ELSE 'cus_' || lpad((n % 400)::text, 5, '0') END,
              CASE n % 3 WHEN 0 THEN ARRAY['orders:read'] WHEN 1 THEN ARRAY['orders:read', 'orders:write', 'refunds:create'] ELSE ARRAY[]::text[] END,
              CASE WHEN n % 5 = 0 THEN jsonb_build_object('team', 'payments', 'tier', 'gold') ELSE '{}'::jsonb END,
              CASE WHEN n % 20 = 3 THEN now() - interval '2 days'
                   WHEN n % 50 = 4 THEN now() + (2 + n % 5) * interval '1 day'
                   WHEN n % 4 = 1 THEN now() + interval '180 days' END,
              CASE WHEN n % 20 = 5 THEN now() - interval '3 days' END,
              CASE WHEN n % 20 = 5 THEN 'Rotated out' END,
              now() - n * interval '3 hours', now()
       FROM generate_series(1, $2::int) AS n`,
      [run, keys, NAMES],
    );
    // Traffic: the first 300 keys, 92% accepted, the rest refused for the usual reasons.
    await client.query(
      `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
       SELECT CASE WHEN o = 'invalid_key' THEN NULL ELSE 'key_' || $1 || lpad((2 + n % 300)::text, 16, '0') END,
              o, CASE WHEN n % 4 = 0 THEN 'POST' ELSE 'GET' END,
              (ARRAY['/api/v1/orders', '/api/v1/orders/ord_1842/refunds', '/api/v1/keys/verify', '/api/v1/whoami', '/api/v1/inventory/items?page=2'])[1 + n % 5],
              CASE o WHEN 'valid' THEN 200 WHEN 'rate_limited' THEN 429 WHEN 'insufficient_scope' THEN 403 ELSE 401 END,
              2 + (n % 40), '10.0.' || (n % 50) || '.' || (1 + n % 200), now() - random() * interval '24 hours'
       FROM (SELECT n, CASE WHEN n % 100 < 92 THEN 'valid' WHEN n % 100 < 96 THEN 'rate_limited' WHEN n % 100 < 98 THEN 'invalid_key'
                           WHEN n % 100 < 99 THEN 'insufficient_scope' ELSE 'revoked_key' END AS o
             FROM generate_series(1, $2::int) AS n) AS e
`,
      [run, events],
    );
    // The hero: about 50 requests a minute over the last hour, a few refused by its limit.
    const hero = seed.heroId;
    await client.query(
      `UPDATE api_keys SET name = 'Checkout service (production)', ratelimit_limit = 100, ratelimit_window_ms = 60000, remaining = 48213,
              meta = $2::jsonb, expires_at = NULL, revoked_at = NULL, revoked_reason = NULL WHERE id = $1`,
      [
        hero,
        JSON.stringify({
          team: "payments",
          tier: "gold",
          region: "eu-west-1",
          contact: "payments-oncall@example.com",
          runbook: "https://wiki.example.com/payments/keys",
          notes: "Rotated every 90 days by the platform team.",
        }),
      ],
    );
    await client.query(
      `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
       SELECT $1, CASE WHEN n % 40 = 0 THEN 'rate_limited' ELSE 'valid' END, 'POST', '/api/v1/orders',
              CASE WHEN n % 40 = 0 THEN 429 ELSE 200 END, 3, '203.0.113.' || (1 + n % 3),
              now() - (n * interval '1.2 seconds')
       FROM generate_series(1, 3000) AS n
`,
      [hero],
    );
    await client.query(
      `UPDATE api_keys AS k SET last_used_at = u.at FROM (SELECT key_id, max(at) AS at FROM usage_events WHERE key_id LIKE 'key\\_' || $1 || '%' GROUP BY key_id) AS u
       WHERE k.id = u.key_id`,
      [run],
    );
    await client.query("COMMIT");
    await client.query("ANALYZE api_keys");
    // The derived tables every chart and figure reads, computed from the raw rows as after a restore.
    const now = new Date();
    await rebuildUsage(e2eDb(), { from: new Date(now.getTime() - 25 * 3_600_000), to: now, actor: { type: "system", id: null }, rawRetentionDays: 7, now });
  } catch (error) {
    await client.query("ROLLBACK");
    throw error;
  } finally {
    await client.end();
  }
  return seed;
}
