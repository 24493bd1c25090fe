import { beforeEach, describe, expect, it } from "vitest";

import { countKeys, EXACT_COUNT_LIMIT } from "../../lib/keys/count-keys";
import { databaseForThisFile } from "../helpers/migrated-database";

// The keys page says how many keys it lists ("about 1,000,002 keys") without counting a
// million rows: exact for small sets, the table's statistics for the whole table, a floor for
// large filtered sets.

const shared = databaseForThisFile("keyhold_count_keys");

beforeEach(async () => {
  await shared.admin.query("TRUNCATE api_keys CASCADE");
});

/** `count` keys named `<prefix> n`, owned by `owner`; every tenth revoked. */
async function insertKeys(count: number, { prefix = "key", owner = "cus_1", from = 0 } = {}) {
  await shared.admin.query(
    `INSERT INTO api_keys (id, name, start, hash, owner_id, revoked_at, updated_at)
     SELECT 'key_' || $2 || n, $2 || ' ' || n, 'kh_live_' || lpad(n::text, 4, '0'), md5($2 || n), $3,
            CASE WHEN n % 10 = 0 THEN now() END, now()
     FROM generate_series($4::int, $4::int + $1::int - 1) AS n`,
    [count, prefix, owner, from],
  );
}

describe("countKeys", () => {
  it("counts a small table exactly, before it was ever analysed", async () => {
    await insertKeys(27);
    expect(await countKeys(shared.db, {})).toEqual({ kind: "exact", count: 27 });
  });

  it("counts filtered sets exactly: owner, status, search", async () => {
    await insertKeys(30, { prefix: "checkout", owner: "cus_a" });
    await insertKeys(12, { prefix: "mobile", owner: "cus_b", from: 100 });
    expect(await countKeys(shared.db, { ownerId: "cus_a" })).toEqual({ kind: "exact", count: 30 });
    expect(await countKeys(shared.db, { ownerId: "cus_a", status: "revoked" })).toEqual({ kind: "exact", count: 3 });
    expect(await countKeys(shared.db, { q: "MOBILE" })).toEqual({ kind: "exact", count: 12 });
    expect(await countKeys(shared.db, { ownerId: "nobody" })).toEqual({ kind: "exact", count: 0 });
  });

  it("reads the whole table's size from its statistics once it is past the exact limit", async () => {
    await insertKeys(EXACT_COUNT_LIMIT + 500);
    await shared.admin.query("ANALYZE api_keys");
    // Rows the statistics have not seen yet are not counted: the figure is an estimate.
    await insertKeys(7, { prefix: "late" });
    expect(await countKeys(shared.db, {})).toEqual({ kind: "estimate", count: EXACT_COUNT_LIMIT + 500 });
  });

  it("gives a floor, not a walk of every row, for a filtered set past the limit", async () => {
    // Nine in ten are active: more than the limit.
    await insertKeys(EXACT_COUNT_LIMIT + 1_500);
    await shared.admin.query("ANALYZE api_keys");
    expect(await countKeys(shared.db, { status: "active" })).toEqual({ kind: "atLeast", count: EXACT_COUNT_LIMIT });
    expect(await countKeys(shared.db, { status: "revoked" })).toEqual({ kind: "exact", count: (EXACT_COUNT_LIMIT + 1_500) / 10 });
  });

  it("counts exactly when the statistics still describe a table emptied since", async () => {
    await insertKeys(EXACT_COUNT_LIMIT + 500);
    await shared.admin.query("ANALYZE api_keys");
    await shared.admin.query("TRUNCATE api_keys CASCADE");
    await insertKeys(5);
    // TRUNCATE resets reltuples, so a table that shrank that way is counted again.
    expect(await countKeys(shared.db, {})).toEqual({ kind: "exact", count: 5 });
  });
});
