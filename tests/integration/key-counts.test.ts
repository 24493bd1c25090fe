import pg from "pg";
import { describe, expect, it } from "vitest";

import { countActiveKeys } from "../../lib/keys/count-active-keys";
import { listScopes } from "../../lib/scopes/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// Issue 11: the overview's active keys and each scope's keyCount come from counts triggers
// keep, and stay equal to counting the keys whatever is done to them, on PostgreSQL and on the
// embedded default.

const SCOPES = ["orders:read", "orders:write", "billing:read"];

describe.each(["postgres", "pglite"] as const)("key counts (%s)", (backend) => {
  const shared = databaseForThisFile("keyhold_key_counts", { embedded: backend === "pglite" });

  /** The counts as the dashboard reads them, next to the same counts taken over api_keys. */
  async function countsBothWays(now: Date) {
    const active = await shared.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)`,
      [now],
    );
    const perScope = await shared.admin.query<{ name: string; n: number }>(
      `SELECT s.name, (SELECT count(*)::int FROM api_keys k WHERE k.revoked_at IS NULL AND k.scopes @> ARRAY[s.name]) AS n FROM scopes s ORDER BY s.name`,
    );
    return {
      kept: { active: await countActiveKeys(shared.db, now), scopes: (await listScopes(shared.db)).map((scope) => [scope.name, scope.keyCount]) },
      counted: { active: active.rows[0].n, scopes: perScope.rows.map((row) => [row.name, row.n]) },
    };
  }

  it("follow inserts, revocations, scope changes and deletes, duplicates and expiry included", async () => {
    for (const name of SCOPES) await shared.admin.query(`INSERT INTO scopes (id, name) VALUES ($1, $2)`, [`scp_${name.replace(":", "_")}`, name]);
    let seed = 7;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648) / 2_147_483_648;
    const now = new Date();
    for (let i = 0; i < 300; i++) {
      const op = next();
      if (op < 0.5 || i < 20) {
        const scopes = SCOPES.filter(() => next() < 0.5);
        if (next() < 0.1 && scopes.length) scopes.push(scopes[0]);
        const expires = next() < 0.3 ? new Date(now.getTime() + (next() - 0.5) * 86_400_000) : null;
        await shared.admin.query(
          `INSERT INTO api_keys (id, name, start, hash, scopes, expires_at, updated_at) VALUES ($1, 'k', 'kh_live_abcd', $1, $2, $3, now())`,
          [`key_${i}`, scopes, expires],
        );
      } else if (op < 0.7) {
        await shared.admin.query(
          `UPDATE api_keys SET revoked_at = now() WHERE id = (SELECT id FROM api_keys WHERE revoked_at IS NULL ORDER BY md5(id || $1) LIMIT 1)`,
          [String(i)],
        );
      } else if (op < 0.85) {
        await shared.admin.query(`UPDATE api_keys SET scopes = $2 WHERE id = (SELECT id FROM api_keys ORDER BY md5(id || $1) LIMIT 1)`, [
          String(i),
          SCOPES.filter(() => next() < 0.5),
        ]);
      } else if (op < 0.9) {
        await shared.admin.query(
          `UPDATE api_keys SET name = 'renamed', last_used_at = now() WHERE id = (SELECT id FROM api_keys ORDER BY md5(id || $1) LIMIT 1)`,
          [String(i)],
        );
      } else {
        await shared.admin.query(`DELETE FROM api_keys WHERE id = (SELECT id FROM api_keys ORDER BY md5(id || $1) LIMIT 1)`, [String(i)]);
      }
    }

    const counts = await countsBothWays(now);
    expect(counts.counted.active).toBeGreaterThan(0);
    expect(counts.kept).toEqual(counts.counted);

    // A bulk load that bypasses the triggers is put right by a recount.
    await shared.admin.query("ALTER TABLE api_keys DISABLE TRIGGER USER");
    await shared.admin.query(
      `INSERT INTO api_keys (id, name, start, hash, scopes, updated_at) SELECT 'key_bulk_' || g, 'k', 'kh_live_abcd', 'bulk' || g, ARRAY['orders:read'], now() FROM generate_series(1, 50) g`,
    );
    await shared.admin.query("ALTER TABLE api_keys ENABLE TRIGGER USER");
    await shared.admin.query("SELECT key_counts_refresh()");
    const recounted = await countsBothWays(now);
    expect(recounted.kept).toEqual(recounted.counted);
    expect(recounted.kept.active).toBe(counts.kept.active + 50);
  });

  it("follow statements that change many keys at once, and concurrent ones, in one statement each", async () => {
    const now = new Date();
    const bulk = (sql: string) => shared.admin.query(sql);
    // 20,000 keys in one statement: a row trigger made this quadratic (minutes at 100,000).
    await bulk(
      `INSERT INTO api_keys (id, name, start, hash, scopes, updated_at)
       SELECT 'key_many_' || g, 'k', 'kh_live_abcd', 'many' || g,
              CASE g % 4 WHEN 0 THEN ARRAY['orders:read', 'orders:read'] WHEN 1 THEN ARRAY['orders:write', 'billing:read'] WHEN 2 THEN ARRAY['billing:read'] ELSE ARRAY[]::text[] END,
              now()
       FROM generate_series(1, 20000) g`,
    );
    let counts = await countsBothWays(now);
    expect(counts.kept).toEqual(counts.counted);

    await bulk(`UPDATE api_keys SET revoked_at = now() WHERE id LIKE 'key_many_1%'`);
    // One statement revoking some keys, changing the scopes of others, and both at once.
    await bulk(
      `UPDATE api_keys SET scopes = ARRAY['orders:write'], revoked_at = CASE WHEN id LIKE '%7' THEN now() ELSE revoked_at END WHERE id LIKE 'key_many_2%'`,
    );
    // Only last_used_at: nothing a count depends on.
    await bulk(`UPDATE api_keys SET last_used_at = now() WHERE id LIKE 'key_many_%'`);
    counts = await countsBothWays(now);
    expect(counts.kept).toEqual(counts.counted);

    // Concurrent statements over the same scopes, each on its own connection. (PGlite runs one
    // statement at a time, and Keyhold's clients of it keep to one connection: there the four
    // queue on one.)
    const clients = await Promise.all(
      Array.from({ length: backend === "postgres" ? 4 : 1 }, async () => {
        const client = new pg.Client({ connectionString: shared.database.url });
        await client.connect();
        return client;
      }),
    );
    const onEach = (sql: (i: number) => string) => Promise.all([0, 1, 2, 3].map((i) => clients[i % clients.length]!.query(sql(i))));
    try {
      await onEach(
        (i) =>
          `INSERT INTO api_keys (id, name, start, hash, scopes, updated_at)
           SELECT 'key_par_${i}_' || g, 'k', 'kh_live_abcd', 'par${i}_' || g, CASE WHEN g % 2 = ${i % 2} THEN ARRAY['billing:read', 'orders:read'] ELSE ARRAY['orders:write'] END, now()
           FROM generate_series(1, 2000) g`,
      );
      await onEach((i) => `UPDATE api_keys SET revoked_at = now() WHERE id LIKE 'key_par_${i}_1%'`);
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }

    await bulk(`DELETE FROM api_keys WHERE id LIKE 'key_many_3%' OR id LIKE 'key_par_0_%'`);
    counts = await countsBothWays(now);
    expect(counts.kept).toEqual(counts.counted);
    expect(counts.kept.active).toBeGreaterThan(5_000);
  });
});
