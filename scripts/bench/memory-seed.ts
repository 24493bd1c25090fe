import { randomBytes } from "node:crypto";

import { createDb } from "../../lib/db/client";
import { newId } from "../../lib/db/ids";
import { migrate } from "../../lib/db/migrate";
import { generateKey, keyStart } from "../../lib/keys/format";
import { hashKey } from "../../lib/keys/hash";
import { issueKey } from "../../lib/keys/service";
import { createUser } from "../../lib/users/service";

// The data bench:memory runs against, written through lib/ before the server starts: an OWNER to
// sign in as, a root key for the management API, and many ordinary keys (inserted in bulk: the
// bench measures the server, not 10,000 audited creations).

export interface Seeded {
  owner: { email: string; password: string };
  rootKey: string;
  /** Plaintexts of the first keys, to verify: every one a key cache entry. */
  keys: string[];
}

const CHUNK = 1_000;

export async function seedDatabase(url: string, migrations: string, keyCount: number, verifiedKeys: number): Promise<Seeded> {
  await migrate(url, migrations);
  const db = createDb(url, 2);
  try {
    const owner = { email: `owner-${randomBytes(4).toString("hex")}@example.com`, password: `pw-${randomBytes(12).toString("base64url")}` };
    await createUser(db, { ...owner, role: "OWNER" }, { type: "cli", id: null });
    const root = await issueKey(db, { name: "bench:memory root", scopes: ["keys:read", "keys:write", "keys:verify", "usage:read"] }, { type: "cli", id: null });
    const keys: string[] = [];
    for (let done = 0; done < keyCount; done += CHUNK) {
      const data = Array.from({ length: Math.min(CHUNK, keyCount - done) }, (_, i) => {
        const key = generateKey("live");
        if (keys.length < verifiedKeys) keys.push(key);
        return { id: newId("key"), name: `bench key ${done + i + 1}`, start: keyStart(key), hash: hashKey(key), ownerId: `customer-${(done + i) % 500}` };
      });
      await db.apiKey.createMany({ data });
    }
    return { owner, rootKey: root.key, keys };
  } finally {
    await db.$disconnect();
  }
}
