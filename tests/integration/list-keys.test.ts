import { beforeEach, describe, expect, it } from "vitest";

import { countKeys } from "../../lib/keys/count-keys";
import type { KeyFilters } from "../../lib/keys/keys-where";
import { listKeys } from "../../lib/keys/list-keys";
import { databaseForThisFile } from "../helpers/migrated-database";

// The keys list and its count take the same filters: a person filtering the keys page sees the
// keys the heading counts, newest first, each once however many pages they turn.

const shared = databaseForThisFile("keyhold_list_keys");

/** A well-formed key id (cursors carry one), sorting as `name` does. */
const k = (name: string) => `key_${name.padEnd(22, "0")}`;

interface Row {
  id: string;
  name: string;
  start: string;
  owner?: string;
  environment?: "live" | "test";
  scopes?: string[];
  expiresAt?: string;
  revokedAt?: string;
  createdAt?: string;
}

async function insert(rows: Row[]) {
  for (const row of rows) {
    await shared.admin.query(
      `INSERT INTO api_keys (id, name, start, hash, owner_id, environment, scopes, expires_at, revoked_at, created_at, updated_at)
       VALUES ($1, $2, $3, md5($1), $4, $5::"Environment", $6, $7, $8, coalesce($9::timestamptz, now()), now())`,
      [
        row.id,
        row.name,
        row.start,
        row.owner ?? null,
        row.environment ?? "live",
        row.scopes ?? [],
        row.expiresAt ?? null,
        row.revokedAt ?? null,
        row.createdAt ?? null,
      ],
    );
  }
}

/** Every key a filter lists, page by page, and what the count says. */
async function listAll(filters: KeyFilters, limit = 2) {
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await listKeys(shared.db, { ...filters, cursor, limit });
    ids.push(...page.data.map((key) => key.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return { ids, count: await countKeys(shared.db, filters) };
}

beforeEach(async () => {
  await shared.admin.query("TRUNCATE api_keys CASCADE");
});

describe("listKeys and countKeys", () => {
  it("find a key by any part of its name in any case, or by how the key starts, taking the search literally", async () => {
    await insert([
      { id: k("1"), name: "Acme checkout", start: "kh_live_ab12" },
      { id: k("2"), name: "mobile", start: "kh_live_ab34" },
      // `_` and `%` are wildcards in SQL LIKE: an unescaped search for kh_live_ab also found this.
      { id: k("3"), name: "other", start: "khXliveXab56" },
      { id: k("4"), name: "rate_limit probe", start: "kh_test_zz01" },
      { id: k("5"), name: "ratexlimit probe", start: "kh_test_zz02" },
    ]);
    expect(await listAll({ q: "kh_live_ab" })).toEqual({ ids: [k("2"), k("1")], count: { kind: "exact", count: 2 } });
    expect(await listAll({ q: "ACME" })).toEqual({ ids: [k("1")], count: { kind: "exact", count: 1 } });
    expect(await listAll({ q: "rate_limit" })).toEqual({ ids: [k("4")], count: { kind: "exact", count: 1 } });
    expect(await listAll({ q: "%" })).toEqual({ ids: [], count: { kind: "exact", count: 0 } });
    // The start is matched from its beginning only, and case matters there.
    expect(await listAll({ q: "live_ab" })).toEqual({ ids: [], count: { kind: "exact", count: 0 } });
    expect(await listAll({ q: "KH_LIVE" })).toEqual({ ids: [], count: { kind: "exact", count: 0 } });
  });

  it("narrow by owner, environment, scope and status together, newest first, each key on one page only", async () => {
    const past = "2020-01-01T00:00:00Z";
    const future = "2999-01-01T00:00:00Z";
    // Six keys created in the same millisecond: the id orders them, and paging splits them.
    const tie = "2026-06-01T12:00:00.000Z";
    await insert([
      { id: k("a"), name: "a", start: "kh_live_0001", owner: "cus_1", scopes: ["read"], createdAt: "2026-06-01T11:00:00Z" },
      { id: k("b"), name: "b", start: "kh_live_0002", owner: "cus_1", scopes: ["read", "write"], createdAt: tie },
      { id: k("c"), name: "c", start: "kh_live_0003", owner: "cus_1", scopes: ["read"], expiresAt: past, createdAt: tie },
      { id: k("d"), name: "d", start: "kh_live_0004", owner: "cus_1", scopes: ["read"], revokedAt: past, createdAt: tie },
      { id: k("e"), name: "e", start: "kh_test_0005", owner: "cus_1", environment: "test", scopes: ["read"], expiresAt: future, createdAt: tie },
      { id: k("f"), name: "f", start: "kh_live_0006", owner: "cus_2", scopes: ["read"], createdAt: tie },
      { id: k("g"), name: "g", start: "kh_live_0007", owner: "cus_1", createdAt: tie },
      { id: k("h"), name: "h", start: "kh_live_0008", owner: "cus_1", scopes: ["read"], expiresAt: future, createdAt: "2026-06-01T13:00:00Z" },
    ]);
    expect(await listAll({})).toEqual({ ids: [k("h"), k("g"), k("f"), k("e"), k("d"), k("c"), k("b"), k("a")], count: { kind: "exact", count: 8 } });
    expect(await listAll({ ownerId: "cus_1", scope: "read" })).toEqual({
      ids: [k("h"), k("e"), k("d"), k("c"), k("b"), k("a")],
      count: { kind: "exact", count: 6 },
    });
    expect(await listAll({ ownerId: "cus_1", scope: "read", environment: "live", status: "active" })).toEqual({
      ids: [k("h"), k("b"), k("a")],
      count: { kind: "exact", count: 3 },
    });
    expect(await listAll({ status: "expired" })).toEqual({ ids: [k("c")], count: { kind: "exact", count: 1 } });
    expect(await listAll({ status: "revoked", scope: "read" })).toEqual({ ids: [k("d")], count: { kind: "exact", count: 1 } });
    expect(await listAll({ scope: "write", environment: "test" })).toEqual({ ids: [], count: { kind: "exact", count: 0 } });
  });
});
