import { beforeEach, describe, expect, it } from "vitest";

import { AuditQueryError, listAuditEntries, type AuditQuery } from "../../lib/audit/query-audit";
import { databaseForThisFile } from "../helpers/migrated-database";

// The audit log reads newest first, filtered by target, actor, action and time, in pages keyed
// by id so that entries written while someone pages through neither repeat nor go missing.

const shared = databaseForThisFile("keyhold_audit_query", { timezone: "America/St_Johns" });

beforeEach(async () => {
  await shared.admin.query("TRUNCATE audit_logs RESTART IDENTITY");
});

interface Entry {
  actorType?: string;
  actorId?: string | null;
  action?: string;
  targetType?: string;
  targetId?: string | null;
  data?: unknown;
  ip?: string | null;
  at?: string;
}

/** Inserts in order, so ids follow the array; returns the ids. */
async function insert(entries: Entry[]): Promise<string[]> {
  const { rows } = await shared.admin.query<{ id: string }>(
    `INSERT INTO audit_logs (actor_type, actor_id, action, target_type, target_id, data, ip, at)
     SELECT a::"ActorType", ai, ac, tt, ti, d, i, coalesce(at, now())
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[], $8::timestamptz[])
       WITH ORDINALITY AS u(a, ai, ac, tt, ti, d, i, at, n)
     ORDER BY n
     RETURNING id::text`,
    [
      entries.map((entry) => entry.actorType ?? "user"),
      entries.map((entry) => (entry.actorId === undefined ? "usr_1" : entry.actorId)),
      entries.map((entry) => entry.action ?? "key.create"),
      entries.map((entry) => entry.targetType ?? "key"),
      entries.map((entry) => (entry.targetId === undefined ? "key_1" : entry.targetId)),
      entries.map((entry) => JSON.stringify(entry.data ?? {})),
      entries.map((entry) => (entry.ip === undefined ? "192.0.2.1" : entry.ip)),
      entries.map((entry) => entry.at ?? null),
    ],
  );
  return rows.map((row) => row.id);
}

async function ids(query: AuditQuery): Promise<string[]> {
  const page = await listAuditEntries(shared.db, query);
  return page.data.map((entry) => entry.id);
}

describe("listAuditEntries", () => {
  it("returns entries newest first in the view shape", async () => {
    const [first, second] = await insert([
      { actorType: "key", actorId: "key_root", action: "key.revoke", targetId: "key_9", data: { reason: "leaked" }, ip: null, at: "2026-11-23T12:00:00.123Z" },
      { actorType: "cli", actorId: null, action: "user.create", targetType: "user", targetId: "usr_2", at: "2026-11-23T12:00:01Z" },
    ]);

    expect(await listAuditEntries(shared.db)).toEqual({
      data: [
        {
          id: second,
          actorType: "cli",
          actorId: null,
          action: "user.create",
          targetType: "user",
          targetId: "usr_2",
          data: {},
          ip: "192.0.2.1",
          at: "2026-11-23T12:00:01.000Z",
        },
        {
          id: first,
          actorType: "key",
          actorId: "key_root",
          action: "key.revoke",
          targetType: "key",
          targetId: "key_9",
          data: { reason: "leaked" },
          ip: null,
          at: "2026-11-23T12:00:00.123Z",
        },
      ],
      nextCursor: null,
    });
  });

  it("filters by target, actor, action and time", async () => {
    const [a, b, c, d, e] = await insert([
      { targetType: "key", targetId: "key_1", actorType: "user", actorId: "usr_1", action: "key.create", at: "2026-11-23T10:00:00Z" },
      { targetType: "key", targetId: "key_1", actorType: "key", actorId: "key_root", action: "key.rotate", at: "2026-11-23T11:00:00Z" },
      { targetType: "key", targetId: "key_2", actorType: "user", actorId: "usr_2", action: "key.create", at: "2026-11-23T12:00:00Z" },
      { targetType: "user", targetId: "usr_2", actorType: "cli", actorId: null, action: "user.create", at: "2026-11-23T13:00:00Z" },
      { targetType: "scope", targetId: "scp_1", actorType: "user", actorId: "usr_1", action: "scope.create", at: "2026-11-23T14:00:00Z" },
    ]);

    expect(await ids({ targetType: "key" })).toEqual([c, b, a]);
    expect(await ids({ targetType: "key", targetId: "key_1" })).toEqual([b, a]);
    expect(await ids({ targetId: "usr_2" })).toEqual([d]);
    expect(await ids({ actorType: "user" })).toEqual([e, c, a]);
    expect(await ids({ actorType: "user", actorId: "usr_1" })).toEqual([e, a]);
    expect(await ids({ actorId: "key_root" })).toEqual([b]);
    expect(await ids({ actorType: "cli" })).toEqual([d]);
    expect(await ids({ action: "key.create" })).toEqual([c, a]);
    expect(await ids({ action: "key.create", actorId: "usr_2" })).toEqual([c]);
    // [from, to): the entry at `from` is in, the one at `to` is out.
    expect(await ids({ from: new Date("2026-11-23T11:00:00Z"), to: new Date("2026-11-23T13:00:00Z") })).toEqual([c, b]);
    expect(await ids({ from: new Date("2026-11-23T13:00:00Z") })).toEqual([e, d]);
    expect(await ids({ to: new Date("2026-11-23T11:00:00.001Z") })).toEqual([b, a]);
    expect(await ids({ targetType: "key", from: new Date("2026-11-23T10:30:00Z") })).toEqual([c, b]);
    expect(await ids({ targetType: "nothing" })).toEqual([]);
  });

  it("pages through 250 entries by 100, each exactly once, in order", async () => {
    const all = await insert(Array.from({ length: 250 }, (_, i) => ({ targetId: `key_${i}`, at: new Date(Date.UTC(2026, 10, 23) + i * 1_000).toISOString() })));
    const expected = [...all].reverse();

    const seen: string[] = [];
    const sizes: number[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listAuditEntries(shared.db, { limit: 100, cursor });
      sizes.push(page.data.length);
      seen.push(...page.data.map((entry) => entry.id));
      if (page.nextCursor === null) break;
      expect(page.nextCursor).toBe(page.data.at(-1)!.id);
      cursor = page.nextCursor;
    }

    expect(sizes).toEqual([100, 100, 50]);
    expect(seen).toEqual(expected);
  });

  it("stays correct when entries are written between pages", async () => {
    const all = await insert(Array.from({ length: 250 }, (_, i) => ({ targetId: `key_${i}` })));
    const expected = [...all].reverse();

    const seen: string[] = [];
    const written: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await listAuditEntries(shared.db, { limit: 100, cursor });
      seen.push(...page.data.map((entry) => entry.id));
      if (page.nextCursor === null) break;
      cursor = page.nextCursor;
      // New entries are the newest: with offsets they would push seen rows onto the next page.
      written.push(...(await insert(Array.from({ length: 30 }, (_, i) => ({ targetId: `key_new_${written.length + i}` })))));
    }

    expect(seen).toEqual(expected);
    expect(new Set(seen).size).toBe(250);
    // The new entries are there for whoever starts again from the top.
    expect(await ids({ limit: 60 })).toEqual([...written].reverse());
  });

  it("pages through a filtered list", async () => {
    const rows = await insert(Array.from({ length: 9 }, (_, i) => ({ action: i % 3 === 0 ? "key.revoke" : "key.update" })));
    const revokes = rows.filter((_, i) => i % 3 === 0).reverse();

    const first = await listAuditEntries(shared.db, { action: "key.revoke", limit: 2 });
    expect(first.data.map((entry) => entry.id)).toEqual(revokes.slice(0, 2));
    expect(first.nextCursor).not.toBeNull();
    const second = await listAuditEntries(shared.db, { action: "key.revoke", limit: 2, cursor: first.nextCursor! });
    expect(second).toEqual({ data: [expect.objectContaining({ id: revokes[2] })], nextCursor: null });
  });

  it("ends with nextCursor null when the last page is exactly full", async () => {
    await insert(Array.from({ length: 4 }, () => ({})));
    const first = await listAuditEntries(shared.db, { limit: 2 });
    const second = await listAuditEntries(shared.db, { limit: 2, cursor: first.nextCursor! });
    expect(second.data).toHaveLength(2);
    expect(second.nextCursor).toBeNull();
  });

  it("defaults to 50 entries a page", async () => {
    await insert(Array.from({ length: 51 }, () => ({})));
    const page = await listAuditEntries(shared.db);
    expect(page.data).toHaveLength(50);
    expect(page.nextCursor).toBe(page.data[49].id);
  });

  it("refuses bad arguments with an AuditQueryError", async () => {
    const bad: [AuditQuery, RegExp][] = [
      [{ limit: 0 }, /limit must be a whole number from 1 to 100/],
      [{ limit: 101 }, /limit/],
      [{ limit: 1.5 }, /limit/],
      [{ cursor: "abc" }, /cursor is not valid/],
      [{ cursor: "0" }, /cursor/],
      [{ cursor: "-5" }, /cursor/],
      [{ cursor: "99999999999999999999" }, /cursor/],
      [{ from: new Date("2026-11-23T12:00:00Z"), to: new Date("2026-11-23T12:00:00Z") }, /from must be before to/],
      [{ from: new Date("nope") }, /from must be a valid date/],
      [{ actorType: "robot" as AuditQuery["actorType"] }, /actorType must be one of user, key, cli, system/],
      [{ targetType: "" }, /targetType/],
    ];
    for (const [query, message] of bad) {
      const attempt = listAuditEntries(shared.db, query);
      await expect(attempt).rejects.toThrow(AuditQueryError);
      await expect(attempt).rejects.toThrow(message);
    }
    await expect(listAuditEntries(shared.db, { cursor: "9223372036854775807" })).resolves.toEqual({ data: [], nextCursor: null });
  });
});
