import { beforeEach, describe, expect, it, vi } from "vitest";

import type { Db } from "../../lib/db/client";
import { pruneUsage, startUsageMaintenance } from "../../lib/usage/prune-usage";
import { dropExpiredUsagePartitions, ensureUsagePartitions, listUsagePartitions } from "../../lib/usage/usage-partitions";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 15.2: raw events live in daily partitions made ahead of time, a default
// partition keeps any row outside them, retention drops whole partitions; derived rows are kept
// for their own, longer period.

const shared = databaseForThisFile("keyhold_usage_retention");

beforeEach(async () => {
  // Only the partitions the tests make: start each from the default partition alone.
  await dropExpiredUsagePartitions(shared.db, { now: new Date("2100-01-01T00:00:00Z"), rawRetentionDays: 1 });
  await shared.admin.query(
    `TRUNCATE usage_events, usage_rollups, usage_hours, usage_key_hours, usage_key_days, usage_path_hours, usage_path_days, usage_key_addresses, usage_invalid_addresses`,
  );
});

async function insertAt(...ats: string[]): Promise<void> {
  await shared.admin.query(
    `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
     SELECT 'key_a', 'valid', 'GET', '/x', 200, 1, NULL, a FROM unnest($1::timestamptz[]) AS a`,
    [ats],
  );
}

async function partitionOf(): Promise<Record<string, string>> {
  const { rows } = await shared.admin.query<{ at: Date; part: string }>("SELECT at, tableoid::regclass::text AS part FROM usage_events ORDER BY at");
  return Object.fromEntries(rows.map((row) => [row.at.toISOString(), row.part]));
}

const now = new Date("2026-11-23T10:00:00Z");

describe("usage_events partitions", () => {
  it("are made for the raw retention period and 7 days ahead, split exactly at midnight UTC", async () => {
    expect(await ensureUsagePartitions(shared.db, { now, rawRetentionDays: 2 })).toBe(10);
    expect(await listUsagePartitions(shared.db)).toEqual([
      "2026-11-21",
      "2026-11-22",
      "2026-11-23",
      "2026-11-24",
      "2026-11-25",
      "2026-11-26",
      "2026-11-27",
      "2026-11-28",
      "2026-11-29",
      "2026-11-30",
    ]);
    // Making them again makes none and moves nothing.
    expect(await ensureUsagePartitions(shared.db, { now, rawRetentionDays: 2 })).toBe(0);

    await insertAt("2026-11-22T23:59:59.999Z", "2026-11-23T00:00:00.000Z", "2026-11-30T23:59:59.999Z", "2026-12-01T00:00:00.000Z", "2026-11-01T12:00:00.000Z");
    expect(await partitionOf()).toEqual({
      "2026-11-01T12:00:00.000Z": "usage_events_default",
      "2026-11-22T23:59:59.999Z": "usage_events_20261122",
      "2026-11-23T00:00:00.000Z": "usage_events_20261123",
      "2026-11-30T23:59:59.999Z": "usage_events_20261130",
      "2026-12-01T00:00:00.000Z": "usage_events_default",
    });
  });

  it("take over the rows the default partition kept for their day, so a late partition loses nothing", async () => {
    await insertAt("2026-11-23T00:00:00.000Z", "2026-11-23T23:59:59.999Z", "2026-11-24T00:00:00.000Z");
    expect(Object.values(await partitionOf())).toEqual(["usage_events_default", "usage_events_default", "usage_events_default"]);

    await ensureUsagePartitions(shared.db, { now, rawRetentionDays: 1 });

    expect(await partitionOf()).toEqual({
      "2026-11-23T00:00:00.000Z": "usage_events_20261123",
      "2026-11-23T23:59:59.999Z": "usage_events_20261123",
      "2026-11-24T00:00:00.000Z": "usage_events_20261124",
    });
  });

  it("are dropped whole once their day is past the raw retention period, with the default partition's rows of then", async () => {
    await ensureUsagePartitions(shared.db, { now: new Date("2026-11-20T10:00:00Z"), rawRetentionDays: 1 });
    // Two rows in the default partition: one long past, one in a day not made yet.
    await insertAt("2026-11-19T23:59:59.999Z", "2026-11-20T00:00:00.000Z", "2026-10-01T00:00:00.000Z", "2026-12-15T00:00:00.000Z");

    // Three days of retention from 2026-11-23T10:00Z: everything from 2026-11-20 on stays.
    expect(await dropExpiredUsagePartitions(shared.db, { now, rawRetentionDays: 3 })).toBe(1);
    expect(await partitionOf()).toEqual({
      "2026-11-20T00:00:00.000Z": "usage_events_20261120",
      "2026-12-15T00:00:00.000Z": "usage_events_default",
    });
    expect((await listUsagePartitions(shared.db))[0]).toBe("2026-11-20");
    expect(await dropExpiredUsagePartitions(shared.db, { now, rawRetentionDays: 3 })).toBe(0);
  });
});

describe("pruneUsage", () => {
  it("keeps per-minute counts as long as raw events and hourly and daily rows for the longer period", async () => {
    const minute = (at: string) => `('key_a', '${at}', 'valid', 1)`;
    await shared.admin.query(
      `INSERT INTO usage_rollups (key_id, minute, outcome, count) VALUES ${minute("2026-11-16T09:59:00Z")}, ${minute("2026-11-16T10:01:00Z")}`,
    );
    const hour = (at: string) => `('key_a', '${at}', 'valid', 1, 1, 0, 0, '{1}')`;
    await shared.admin.query(`INSERT INTO usage_key_hours VALUES ${hour("2026-11-13T09:00:00Z")}, ${hour("2026-11-13T10:00:00Z")}`);
    await shared.admin.query(
      `INSERT INTO usage_hours VALUES ('2026-11-13T09:00:00Z', 'valid', 1, 0, 0, '{1}'), ('2026-11-13T10:00:00Z', 'valid', 1, 0, 0, '{1}')`,
    );
    await shared.admin.query(
      `INSERT INTO usage_key_days VALUES ('key_a', '2026-11-12T00:00:00Z', 'valid', 1, 1), ('key_a', '2026-11-14T00:00:00Z', 'valid', 1, 1)`,
    );
    await shared.admin.query(
      `INSERT INTO usage_path_days VALUES ('2026-11-12T00:00:00Z', 'GET', '/x', 'valid', 1), ('2026-11-14T00:00:00Z', 'GET', '/x', 'valid', 1)`,
    );
    await shared.admin.query(
      `INSERT INTO usage_key_addresses VALUES ('key_a', '2026-11-12T00:00:00Z', '192.0.2.1', 1, 0, now()), ('key_a', '2026-11-14T00:00:00Z', '192.0.2.1', 1, 0, now())`,
    );

    const result = await pruneUsage(shared.db, { now, rawRetentionDays: 7, retentionDays: 10, batchSize: 1 });
    expect(result).toMatchObject({ rowsDeleted: 6 });
    const times = async (table: string, column: string) =>
      (await shared.admin.query<{ t: Date }>(`SELECT ${column} AS t FROM ${table} ORDER BY 1`)).rows.map((row) => row.t.toISOString());
    expect(await times("usage_rollups", "minute")).toEqual(["2026-11-16T10:01:00.000Z"]);
    expect(await times("usage_key_hours", "hour")).toEqual(["2026-11-13T10:00:00.000Z"]);
    expect(await times("usage_hours", "hour")).toEqual(["2026-11-13T10:00:00.000Z"]);
    expect(await times("usage_key_days", "day")).toEqual(["2026-11-14T00:00:00.000Z"]);
    expect(await times("usage_path_days", "day")).toEqual(["2026-11-14T00:00:00.000Z"]);
    expect(await times("usage_key_addresses", "day")).toEqual(["2026-11-14T00:00:00.000Z"]);
    // The same run made the partitions of the coming days.
    expect(await listUsagePartitions(shared.db)).toContain("2026-11-30");
  });

  it("refuses a retention of less than a day", async () => {
    await expect(pruneUsage(shared.db, { now, rawRetentionDays: 0, retentionDays: 10 })).rejects.toThrow(/rawRetentionDays/);
    await expect(pruneUsage(shared.db, { now, rawRetentionDays: 7, retentionDays: 1.5 })).rejects.toThrow(/retentionDays/);
  });
});

describe("startUsageMaintenance", () => {
  it("makes the coming days' partitions at start and prunes after its first delay", async () => {
    await insertAt("2026-11-01T00:00:00Z");
    const maintenance = startUsageMaintenance({ db: shared.db, rawRetentionDays: 7, retentionDays: 400, firstRunDelayMs: 60_000, now: () => now.getTime() });
    try {
      await vi.waitFor(async () => expect(await listUsagePartitions(shared.db)).toContain("2026-11-30"), { timeout: 5_000, interval: 20 });
      expect(await partitionOf()).toEqual({ "2026-11-01T00:00:00.000Z": "usage_events_default" });
      expect(await maintenance.runNow()).toMatchObject({ partitionsCreated: 0 });
      expect(await partitionOf()).toEqual({});
    } finally {
      await maintenance.stop();
    }
  });

  it("never overlaps runs, and a failure logs one line without the error's details", async () => {
    let calls = 0;
    const release: (() => void)[] = [];
    const fake = {
      $queryRaw: () => {
        calls++;
        return new Promise<never>((_, reject) => {
          release.push(() => reject(new Error("connect ECONNREFUSED postgres://admin:s3cret@shared.db.internal:5432")));
        });
      },
    } as unknown as Db;
    const errors = vi.spyOn(console, "error").mockImplementation(() => undefined);
    const maintenance = startUsageMaintenance({ db: fake, rawRetentionDays: 7, retentionDays: 400, firstRunDelayMs: 0, intervalMs: 5 });
    try {
      await vi.waitFor(() => expect(calls).toBe(1));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls).toBe(1);
      release.shift()!();
      await vi.waitFor(() => expect(calls).toBe(2));
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(calls).toBe(2);
      release.shift()!();
      await vi.waitFor(() => expect(errors).toHaveBeenCalledTimes(2));
      const lines = errors.mock.calls.map(([line, ...rest]) => {
        expect(rest).toEqual([]);
        expect(String(line)).not.toMatch(/s3cret|internal|ECONNREFUSED/);
        return line;
      });
      expect(lines).toEqual([
        "usage: making the usage partitions of the coming days failed (Error); retrying in 1 s",
        "usage: pruning usage older than 7 days (raw) and 400 days (derived) failed (Error); retrying in 1 s",
      ]);
    } finally {
      const stopping = maintenance.stop();
      for (const next of release) next();
      await stopping;
      errors.mockRestore();
    }
  });

  it("does not keep the process alive", async () => {
    const setTimeoutSpy = vi.spyOn(globalThis, "setTimeout");
    const maintenance = startUsageMaintenance({ db: shared.db, rawRetentionDays: 7, retentionDays: 400 });
    try {
      await vi.waitFor(() => expect(setTimeoutSpy).toHaveBeenCalled());
      const timer = setTimeoutSpy.mock.results[0].value as NodeJS.Timeout;
      expect(timer.hasRef()).toBe(false);
    } finally {
      setTimeoutSpy.mockRestore();
      await maintenance.stop();
    }
  });
});
