// `npm run bench:memory -- --bounds`: what each in-process table costs at its bound, measured on
// the real classes filled with realistic entries: bytes per entry (V8 heap) and in all. These are
// the figures docs/architecture.md ("Memory") quotes.
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

import type { Db } from "../../lib/db/client";
import { parseEnv } from "../../lib/env";
import { KeyCache, type CachedKey } from "../../lib/keys/cache";
import { InvalidKeyThrottle } from "../../lib/ratelimit/invalid-key-throttle";
import { LoginThrottle } from "../../lib/ratelimit/login-throttle";
import { UsageRecorder } from "../../lib/usage/recorder";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

function heapUsedBy(fill: () => unknown): number {
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = fill();
  gc();
  const used = process.memoryUsage().heapUsed - before;
  // Referenced after the measurement, so the collector cannot take it early.
  if (kept === undefined) throw new Error("nothing was kept");
  return used;
}

const hex = (n: number, length: number) => n.toString(16).padStart(length, "0");

function keyRecord(i: number): CachedKey {
  const scopes = ["orders:read", "orders:write"];
  return {
    id: `key_${hex(i, 22)}`,
    name: `checkout service ${i}`,
    ownerId: `customer-${i}`,
    environment: "live",
    scopes,
    scopeSet: new Set(scopes),
    meta: {},
    expiresAt: null,
    revokedAt: null,
    ratelimit: { limit: 100, windowMs: 60_000 },
    hasQuota: false,
    refill: null,
    quotaResetAt: 0,
    ipAllowlist: null,
  };
}

interface Row {
  table: string;
  entries: number;
  bytes: number;
}

function measureAll(): Row[] {
  // The bounds in force without configuration; the throttles' and unknown hashes' are constants.
  const defaults = parseEnv({});
  const keys = defaults.KEYHOLD_KEY_CACHE_MAX_ENTRIES;
  const unknown = 10_000;
  const addresses = 100_000;
  const logins = 50_000;
  const events = defaults.KEYHOLD_USAGE_BUFFER_MAX_EVENTS;
  const noDb = {} as Db;
  return [
    {
      table: "key cache: keys",
      entries: keys,
      bytes: heapUsedBy(() => {
        const cache = new KeyCache(undefined, undefined, { maxEntries: keys });
        for (let i = 0; i < keys; i++) cache.set(hex(i, 64), keyRecord(i));
        return cache;
      }),
    },
    {
      table: "key cache: unknown hashes",
      entries: unknown,
      bytes: heapUsedBy(() => {
        const cache = new KeyCache();
        for (let i = 0; i < unknown; i++) cache.set(hex(i, 64), null);
        return cache;
      }),
    },
    {
      table: "invalid-key throttle: addresses",
      entries: addresses,
      bytes: heapUsedBy(() => {
        const throttle = new InvalidKeyThrottle(20);
        for (let i = 0; i < addresses; i++) throttle.recordInvalid(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
        return throttle;
      }),
    },
    {
      table: "sign-in throttle: emails + addresses",
      entries: logins,
      bytes: heapUsedBy(() => {
        const throttle = new LoginThrottle();
        for (let i = 0; i < logins / 2; i++) {
          const attempt = { email: `someone-${i}@example.com`, address: `10.1.${(i >> 8) & 255}.${i & 255}` };
          throttle.begin(attempt);
          throttle.finish(attempt, "failure");
        }
        return throttle;
      }),
    },
    ...[
      [20, "usage buffer: events (20-character path)"],
      [512, "usage buffer: events (512-character path)"],
    ].map(([length, table]) => ({
      table: String(table),
      entries: events,
      bytes: heapUsedBy(() => {
        const recorder = new UsageRecorder(noDb, { maxBuffered: events });
        // A string of its own per event, as each request brings its own.
        const path = (i: number) => `/api/v1/orders/${hex(i, 8)}`.padEnd(Number(length), "x");
        for (let i = 0; i < events; i++)
          recorder.record({
            keyId: `key_${hex(i % 1000, 22)}`,
            outcome: "valid",
            method: "POST",
            path: path(i),
            status: 200,
            latencyMs: 1.5,
            ip: `10.0.${(i >> 8) & 255}.${i & 255}`,
            at: new Date(),
          });
        return recorder;
      }),
    })),
  ];
}

export function printBounds(): void {
  console.log(`${"in-process table".padEnd(44)}${"bound".padStart(9)}${"per entry".padStart(11)}${"at bound".padStart(10)}`);
  for (const row of measureAll()) {
    console.log(
      `${row.table.padEnd(44)}${String(row.entries).padStart(9)}${`${Math.round(row.bytes / row.entries)} B`.padStart(11)}${`${(row.bytes / 1024 / 1024).toFixed(1)} MB`.padStart(10)}`,
    );
  }
}
