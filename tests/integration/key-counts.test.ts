import { describe, expect, it } from "vitest";

import { countActiveKeys } from "../../lib/keys/count-active-keys";
import { listScopes } from "../../lib/scopes/service";
import { databaseForThisFile } from "../helpers/migrated-database";

// Issue 11: the overview's active keys and each scope's keyCount come from counts a trigger
// keeps, and stay equal to counting the keys whatever is done to them.

const shared = databaseForThisFile("keyhold_key_counts");

const SCOPES = ["orders:read", "orders:write", "billing:read"];

describe("key counts", () => {
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

    const { rows } = await shared.admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $1)`,
      [now],
    );
    expect(rows[0].n).toBeGreaterThan(0);
    expect(await countActiveKeys(shared.db, now)).toBe(rows[0].n);
    const counted = await shared.admin.query<{ name: string; n: number }>(
      `SELECT s.name, (SELECT count(*)::int FROM api_keys k WHERE k.revoked_at IS NULL AND k.scopes @> ARRAY[s.name]) AS n FROM scopes s ORDER BY s.name`,
    );
    expect((await listScopes(shared.db)).map((scope) => [scope.name, scope.keyCount])).toEqual(counted.rows.map((row) => [row.name, row.n]));

    // A bulk load that bypasses the trigger is put right by a recount.
    await shared.admin.query("ALTER TABLE api_keys DISABLE TRIGGER api_keys_key_counts");
    await shared.admin.query(
      `INSERT INTO api_keys (id, name, start, hash, scopes, updated_at) SELECT 'key_bulk_' || g, 'k', 'kh_live_abcd', 'bulk' || g, ARRAY['orders:read'], now() FROM generate_series(1, 50) g`,
    );
    await shared.admin.query("ALTER TABLE api_keys ENABLE TRIGGER api_keys_key_counts");
    await shared.admin.query("SELECT key_counts_refresh()");
    expect(await countActiveKeys(shared.db, now)).toBe(rows[0].n + 50);
    expect((await listScopes(shared.db)).find((scope) => scope.name === "orders:read")!.keyCount).toBe(
      counted.rows.find((row) => row.name === "orders:read")!.n + 50,
    );
  });
});
