import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, beforeAll, expect, it } from "vitest";

import { createDb, type Db } from "../../lib/db/client";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "../../lib/db/embedded";
import { migrate } from "../../lib/db/migrate";
import { generateKey, keyStart } from "../../lib/keys/format";
import { hashKey } from "../../lib/keys/hash";

// PGlite is one PostgreSQL session. pglite-socket serves every connection from it and, outside a
// transaction, interleaves the messages of concurrent extended-protocol queries
// (electric-sql/pglite#1046): one connection's Bind runs against another's Parse, and a key
// lookup can come back empty. Under load the server refused valid keys as invalid_key (seen in
// bench:memory). A client of the embedded database therefore keeps to one connection.

let dataDir: string;
let embedded: EmbeddedDatabase;
let db: Db;
const keys: { key: string; id: string }[] = [];

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-embedded-concurrency-"));
  embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
  await migrate(embedded.url);
  db = createDb(embedded.url);
  for (let i = 0; i < 50; i++) {
    const key = generateKey("live");
    keys.push({ key, id: `key_concurrency_${i}` });
  }
  await db.apiKey.createMany({ data: keys.map(({ key, id }) => ({ id, name: id, start: keyStart(key), hash: hashKey(key) })) });
}, 120_000);

afterAll(async () => {
  await db?.$disconnect();
  await embedded?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

it("answers concurrent queries of different shapes each with its own rows", async () => {
  const lookups: Promise<unknown>[] = [];
  const expected: unknown[] = [];
  for (let round = 0; round < 4; round++) {
    for (const { key, id } of keys) {
      lookups.push(db.apiKey.findUnique({ where: { hash: hashKey(key) }, select: { id: true } }));
      expected.push({ id });
      lookups.push(db.apiKey.count({ where: { name: { startsWith: "key_concurrency_" }, createdAt: { lte: new Date() } } }));
      expected.push(keys.length);
      lookups.push(db.scope.findMany({ where: { name: id }, select: { id: true } }));
      expected.push([]);
      // As the usage flush does: a transaction of several statements beside the lookups.
      if (Number(id.split("_").at(-1)) % 5 !== 0) continue;
      lookups.push(
        db.$transaction(async (tx) => {
          await tx.$executeRaw`UPDATE api_keys SET last_used_at = now() WHERE id = ${id}`;
          return tx.apiKey.count({ where: { id } });
        }),
      );
      expected.push(1);
    }
  }
  expect(await Promise.all(lookups)).toEqual(expected);
}, 120_000);
