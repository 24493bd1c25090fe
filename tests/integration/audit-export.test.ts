import { beforeAll, describe, expect, it } from "vitest";

import { exportAuditLog } from "../../lib/audit/export-audit";
import { exportAuditQuery, listAuditQuery } from "../../lib/audit/schemas";
import type { Db } from "../../lib/db/client";
import { databaseForThisFile } from "../helpers/migrated-database";

// The audit export (DESIGN.md section 15.6) streams NDJSON a page at a time, pulled by the
// reader: a million entries take one page of memory, not a million.

const shared = databaseForThisFile("keyhold_audit_export");
const TOTAL = 2_345;

beforeAll(async () => {
  await shared.admin.query(
    `INSERT INTO audit_logs (actor_type, actor_id, action, target_type, target_id, data, at)
     SELECT (CASE WHEN n % 3 = 0 THEN 'system' ELSE 'user' END)::"ActorType", 'usr_' || (n % 7), 'key.update', 'key', 'key_' || n,
            jsonb_build_object('n', n), timestamptz '2026-01-01T00:00:00Z' + n * interval '1 minute'
     FROM generate_series(1, ${TOTAL}) n ORDER BY n`,
  );
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<{ id: string; actorType: string; at: string; data: { n: number } }[]> {
  const text = await new Response(stream).text();
  return text
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line));
}

describe("audit export", () => {
  it("streams every entry once, oldest first, one JSON object per line", async () => {
    const entries = await readAll(exportAuditLog(shared.db, {}, 100));
    expect(entries).toHaveLength(TOTAL);
    expect(entries.map((entry) => entry.data.n)).toEqual(Array.from({ length: TOTAL }, (_, i) => i + 1));
    expect(entries[0]).toMatchObject({ actorType: "user", action: "key.update", targetType: "key", targetId: "key_1", at: "2026-01-01T00:01:00.000Z" });
  });

  it("filters by time range and actor type", async () => {
    const filters = exportAuditQuery.parse({ from: "2026-01-01T01:00:00Z", to: "2026-01-01T02:00:00+00:00", actorType: "system" });
    const entries = await readAll(exportAuditLog(shared.db, filters, 7));
    expect(entries.map((entry) => entry.data.n)).toEqual(Array.from({ length: 20 }, (_, i) => 60 + 3 * i));
    expect(entries.every((entry) => entry.actorType === "system")).toBe(true);
  });

  it("reads the next page only when the reader asks for it", async () => {
    let queries = 0;
    const counting = { $queryRaw: (...args: Parameters<Db["$queryRaw"]>) => (queries++, shared.db.$queryRaw(...args)) } as unknown as Db;
    const reader = exportAuditLog(counting, {}, 100).getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value).split("\n").filter(Boolean)).toHaveLength(100);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(queries).toBe(1);
    await reader.cancel();
  });

  it("a bad filter is refused naming it", () => {
    const from = exportAuditQuery.safeParse({ from: "yesterday" });
    expect(from.success).toBe(false);
    expect(from.error!.issues[0]!.path).toEqual(["from"]);
    const order = listAuditQuery.safeParse({ from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" });
    expect(order.error!.issues[0]).toMatchObject({ path: ["from"], message: "must be before to" });
    expect(listAuditQuery.safeParse({ actorType: "robot" }).error!.issues[0]!.path).toEqual(["actorType"]);
    expect(listAuditQuery.safeParse({ limit: "101" }).error!.issues[0]!.path).toEqual(["limit"]);
  });
});
