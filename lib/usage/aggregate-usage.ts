import { addToHistogram, histogramLiteral, type Histogram } from "./latency-histogram";

// Folds a flush's usage events into the rows of the derived tables (DESIGN.md section 15.2) and
// writes them as additive upserts. `usage rebuild` computes the same rows in SQL
// (rebuild-usage.ts); tests/integration/usage-derived.test.ts holds the two to equality.
// Each column's parameter has the column's type: int8 for the bigint counters (migration
// 20261202180000), int4 for the hourly and per-minute counts (see that migration for why).
// Over 300 lines on purpose: one fold per derived table, kept side by side so that adding a
// column to one shows where the others stand.

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** One event, or `count` alike ones (requests refused without a lookup are tallied, not kept). */
export interface CountedEvent {
  /** null: the key is unknown or was never looked up. */
  keyId: string | null;
  outcome: string;
  /** null for tallies: their paths are not kept. */
  method: string | null;
  path: string | null;
  status: number;
  /** latencyBucket() of the latency. */
  bucket: number;
  /** Epoch milliseconds. */
  at: number;
  ip: string | null;
  cost: number;
  count: number;
}

interface Measures {
  requests: number;
  credits: number;
  status4xx: number;
  status5xx: number;
  latency: Histogram;
}

interface Row<K> {
  key: K;
  measures: Measures;
}

const floorTo = (ms: number, size: number) => ms - (((ms % size) + size) % size);
const iso = (ms: number) => new Date(ms).toISOString();

function measure(measures: Measures, event: CountedEvent): void {
  measures.requests += event.count;
  measures.credits += event.cost * event.count;
  if (event.status >= 400 && event.status <= 499) measures.status4xx += event.count;
  if (event.status >= 500 && event.status <= 599) measures.status5xx += event.count;
  addToHistogram(measures.latency, event.bucket, event.count);
}

function upsert<K>(rows: Map<string, Row<K>>, id: string, key: () => K): Measures {
  let row = rows.get(id);
  if (!row) {
    row = { key: key(), measures: { requests: 0, credits: 0, status4xx: 0, status5xx: 0, latency: new Map() } };
    rows.set(id, row);
  }
  return row.measures;
}

// Sorted by primary key, so instances sharing a database lock rows in the same order.
function sorted<K>(rows: Map<string, Row<K>>): Row<K>[] {
  return [...rows.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

type KeyBucket = { keyId: string; at: number; outcome: string };
type PathBucket = { at: number; method: string; path: string; outcome: string };
type Address = { keyId: string; day: number; ip: string; denied: number; lastSeen: number };
type Invalid = { hour: number; ip: string; first: number; last: number };

export class UsageAggregate {
  private readonly minutes = new Map<string, Row<KeyBucket>>();
  private readonly keyHours = new Map<string, Row<KeyBucket>>();
  private readonly keyDays = new Map<string, Row<KeyBucket>>();
  private readonly hours = new Map<string, Row<{ at: number; outcome: string }>>();
  private readonly pathHours = new Map<string, Row<PathBucket>>();
  private readonly pathDays = new Map<string, Row<PathBucket>>();
  private readonly addresses = new Map<string, Address & { requests: number }>();
  private readonly invalid = new Map<string, Invalid & { attempts: number }>();
  // A flush's events mostly repeat a few combinations (a key calling a path, minute after
  // minute): the rows one combination adds to are found again with one lookup, not seven.
  private readonly groups = new Map<string, { measures: Measures[]; address: (Address & { requests: number }) | null }>();

  get empty(): boolean {
    return this.minutes.size === 0;
  }

  add(event: CountedEvent): void {
    const { outcome } = event;
    const minute = floorTo(event.at, MINUTE_MS);
    // Everything the rows below are chosen by: the minute fixes the hour and the day. A null
    // method or path (a tally) is marked apart from any text.
    const groupId = `${event.keyId ?? "\u0001"}\0${minute}\0${outcome}\0${event.method ?? "\u0001"}\0${event.path ?? "\u0001"}\0${event.ip ?? "\u0001"}`;
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = this.rowsOf(event, minute);
      this.groups.set(groupId, group);
    }
    for (const measures of group.measures) measure(measures, event);
    const { address } = group;
    if (address !== null) {
      address.requests += event.count;
      if (outcome !== "valid") address.denied += event.count;
      address.lastSeen = Math.max(address.lastSeen, event.at);
    }
    if (outcome === "invalid_key") {
      const hour = floorTo(event.at, HOUR_MS);
      const ip = event.ip ?? "";
      const id = `${hour}\0${ip}`;
      const invalid = this.invalid.get(id) ?? { hour, ip, attempts: 0, first: event.at, last: event.at };
      invalid.attempts += event.count;
      invalid.first = Math.min(invalid.first, event.at);
      invalid.last = Math.max(invalid.last, event.at);
      this.invalid.set(id, invalid);
    }
  }

  /** The rows of every derived table that an event of this kind in this minute adds to. */
  private rowsOf(event: CountedEvent, minute: number): { measures: Measures[]; address: (Address & { requests: number }) | null } {
    const keyId = event.keyId ?? "";
    const { outcome } = event;
    const hour = floorTo(minute, HOUR_MS);
    const day = floorTo(minute, DAY_MS);
    const measures = [
      upsert(this.minutes, `${keyId}\0${minute}\0${outcome}`, () => ({ keyId, at: minute, outcome })),
      upsert(this.keyHours, `${keyId}\0${hour}\0${outcome}`, () => ({ keyId, at: hour, outcome })),
      upsert(this.keyDays, `${keyId}\0${day}\0${outcome}`, () => ({ keyId, at: day, outcome })),
      upsert(this.hours, `${hour}\0${outcome}`, () => ({ at: hour, outcome })),
    ];
    if (event.method !== null && event.path !== null) {
      const { method, path } = event;
      measures.push(
        upsert(this.pathHours, `${hour}\0${method}\0${path}\0${outcome}`, () => ({ at: hour, method, path, outcome })),
        upsert(this.pathDays, `${day}\0${method}\0${path}\0${outcome}`, () => ({ at: day, method, path, outcome })),
      );
    }
    let address: (Address & { requests: number }) | null = null;
    if (event.keyId !== null && event.ip !== null) {
      const id = `${event.keyId}\0${day}\0${event.ip}`;
      address = this.addresses.get(id) ?? { keyId: event.keyId, day, ip: event.ip, requests: 0, denied: 0, lastSeen: event.at };
      this.addresses.set(id, address);
    }
    return { measures, address };
  }

  /**
   * Data-modifying CTEs adding these rows to the derived tables, numbering their parameters
   * from `firstParam`. Every column is one array parameter, so the statement's size does not
   * depend on the number of rows.
   */
  writes(firstParam: number): { ctes: string[]; params: unknown[] } {
    const params: unknown[] = [];
    const p = (value: unknown, type: string) => {
      params.push(value);
      return `$${firstParam + params.length - 1}::${type}[]`;
    };
    const hist = (table: string) => `latency = usage_hist_add(${table}.latency, EXCLUDED.latency)`;
    const add = (table: string, columns: string[]) => columns.map((column) => `${column} = ${table}.${column} + EXCLUDED.${column}`).join(", ");
    const ctes: string[] = [];

    const minutes = sorted(this.minutes);
    ctes.push(`INSERT INTO usage_rollups (key_id, minute, outcome, count)
  SELECT * FROM unnest(${p(
    minutes.map((r) => r.key.keyId),
    "text",
  )}, ${p(
    minutes.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    minutes.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    minutes.map((r) => r.measures.requests),
    "int4",
  )})
  ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = usage_rollups.count + EXCLUDED.count`);

    const keyHours = sorted(this.keyHours);
    ctes.push(`INSERT INTO usage_key_hours (key_id, hour, outcome, requests, credits, status_4xx, status_5xx, latency)
  SELECT k, h, o, r, c, s4, s5, l::int4[] FROM unnest(${p(
    keyHours.map((r) => r.key.keyId),
    "text",
  )}, ${p(
    keyHours.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    keyHours.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    keyHours.map((r) => r.measures.requests),
    "int4",
  )}, ${p(
    keyHours.map((r) => r.measures.credits),
    "int8",
  )}, ${p(
    keyHours.map((r) => r.measures.status4xx),
    "int4",
  )}, ${p(
    keyHours.map((r) => r.measures.status5xx),
    "int4",
  )}, ${p(
    keyHours.map((r) => histogramLiteral(r.measures.latency)),
    "text",
  )}) AS u(k, h, o, r, c, s4, s5, l)
  ON CONFLICT (key_id, hour, outcome) DO UPDATE SET ${add("usage_key_hours", ["requests", "credits", "status_4xx", "status_5xx"])}, ${hist("usage_key_hours")}`);

    const keyDays = sorted(this.keyDays);
    ctes.push(`INSERT INTO usage_key_days (key_id, day, outcome, requests, credits)
  SELECT * FROM unnest(${p(
    keyDays.map((r) => r.key.keyId),
    "text",
  )}, ${p(
    keyDays.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    keyDays.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    keyDays.map((r) => r.measures.requests),
    "int8",
  )}, ${p(
    keyDays.map((r) => r.measures.credits),
    "int8",
  )})
  ON CONFLICT (key_id, day, outcome) DO UPDATE SET ${add("usage_key_days", ["requests", "credits"])}`);

    const hours = sorted(this.hours);
    ctes.push(`INSERT INTO usage_hours (hour, outcome, requests, status_4xx, status_5xx, latency)
  SELECT h, o, r, s4, s5, l::int4[] FROM unnest(${p(
    hours.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    hours.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    hours.map((r) => r.measures.requests),
    "int4",
  )}, ${p(
    hours.map((r) => r.measures.status4xx),
    "int4",
  )}, ${p(
    hours.map((r) => r.measures.status5xx),
    "int4",
  )}, ${p(
    hours.map((r) => histogramLiteral(r.measures.latency)),
    "text",
  )}) AS u(h, o, r, s4, s5, l)
  ON CONFLICT (hour, outcome) DO UPDATE SET ${add("usage_hours", ["requests", "status_4xx", "status_5xx"])}, ${hist("usage_hours")}`);

    const pathHours = sorted(this.pathHours);
    ctes.push(`INSERT INTO usage_path_hours (hour, method, path, outcome, requests, status_4xx, status_5xx, latency)
  SELECT h, m, pa, o, r, s4, s5, l::int4[] FROM unnest(${p(
    pathHours.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    pathHours.map((r) => r.key.method),
    "text",
  )}, ${p(
    pathHours.map((r) => r.key.path),
    "text",
  )}, ${p(
    pathHours.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    pathHours.map((r) => r.measures.requests),
    "int4",
  )}, ${p(
    pathHours.map((r) => r.measures.status4xx),
    "int4",
  )}, ${p(
    pathHours.map((r) => r.measures.status5xx),
    "int4",
  )}, ${p(
    pathHours.map((r) => histogramLiteral(r.measures.latency)),
    "text",
  )}) AS u(h, m, pa, o, r, s4, s5, l)
  ON CONFLICT (hour, method, path, outcome) DO UPDATE SET ${add("usage_path_hours", ["requests", "status_4xx", "status_5xx"])}, ${hist("usage_path_hours")}`);

    const pathDays = sorted(this.pathDays);
    ctes.push(`INSERT INTO usage_path_days (day, method, path, outcome, requests)
  SELECT * FROM unnest(${p(
    pathDays.map((r) => iso(r.key.at)),
    "timestamptz",
  )}, ${p(
    pathDays.map((r) => r.key.method),
    "text",
  )}, ${p(
    pathDays.map((r) => r.key.path),
    "text",
  )}, ${p(
    pathDays.map((r) => r.key.outcome),
    "text",
  )}, ${p(
    pathDays.map((r) => r.measures.requests),
    "int8",
  )})
  ON CONFLICT (day, method, path, outcome) DO UPDATE SET ${add("usage_path_days", ["requests"])}`);

    const addresses = [...this.addresses.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    ctes.push(`INSERT INTO usage_key_addresses (key_id, day, ip, requests, denied, last_seen_at)
  SELECT * FROM unnest(${p(
    addresses.map((r) => r.keyId),
    "text",
  )}, ${p(
    addresses.map((r) => iso(r.day)),
    "timestamptz",
  )}, ${p(
    addresses.map((r) => r.ip),
    "text",
  )}, ${p(
    addresses.map((r) => r.requests),
    "int8",
  )}, ${p(
    addresses.map((r) => r.denied),
    "int8",
  )}, ${p(
    addresses.map((r) => iso(r.lastSeen)),
    "timestamptz",
  )})
  ON CONFLICT (key_id, day, ip) DO UPDATE SET ${add("usage_key_addresses", ["requests", "denied"])}, last_seen_at = GREATEST(usage_key_addresses.last_seen_at, EXCLUDED.last_seen_at)`);

    const invalid = [...this.invalid.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
    ctes.push(`INSERT INTO usage_invalid_addresses (hour, ip, attempts, first_at, last_at)
  SELECT * FROM unnest(${p(
    invalid.map((r) => iso(r.hour)),
    "timestamptz",
  )}, ${p(
    invalid.map((r) => r.ip),
    "text",
  )}, ${p(
    invalid.map((r) => r.attempts),
    "int4",
  )}, ${p(
    invalid.map((r) => iso(r.first)),
    "timestamptz",
  )}, ${p(
    invalid.map((r) => iso(r.last)),
    "timestamptz",
  )})
  ON CONFLICT (hour, ip) DO UPDATE SET attempts = usage_invalid_addresses.attempts + EXCLUDED.attempts,
    first_at = LEAST(usage_invalid_addresses.first_at, EXCLUDED.first_at), last_at = GREATEST(usage_invalid_addresses.last_at, EXCLUDED.last_at)`);

    return { ctes, params };
  }
}
