import type { Db } from "../db/client";
import { getDb } from "../db/client";
import { onShutdown } from "../process/shutdown";
import { redactKeys } from "../keys/format";

// Usage events (DESIGN.md section 9). The verification path must not wait on the database for
// bookkeeping, so record() only appends to memory; a timer writes the buffer in bulk. While the
// database is unreachable events stay buffered, oldest first, and are written when it returns.

export interface UsageEventInput {
  keyId: string | null;
  outcome: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  ip: string | null;
  at: Date;
}

export interface UsageRecorderStats {
  buffered: number;
  written: number;
  dropped: number;
  flushFailures: number;
}

export interface UsageRecorderOptions {
  flushIntervalMs?: number;
  batchSize?: number;
  maxBuffered?: number;
  lastUsedIntervalMs?: number;
  /** How long stop() keeps retrying an unreachable database before giving up. */
  stopTimeoutMs?: number;
}

// The time as epoch milliseconds: checked once on the way in, bucketed by arithmetic at flush.
type BufferedEvent = Omit<UsageEventInput, "at"> & { at: number };

// One statement is one transaction and one round trip; a 5000-row chunk stays well below
// PostgreSQL's parameter and message limits because each column is a single array parameter.
const CHUNK_SIZE = 5_000;
const MAX_TEXT = 2_048;
const INT4_MAX = 2_147_483_647;
// Years 1970..9999: toISOString() writes anything later with a sign PostgreSQL will not parse.
const MAX_TIME_MS = 253_402_300_799_999;
const RETRY_PAUSE_MS = 250;

// A data-modifying CTE runs exactly once even when nothing reads its output, so the events,
// the rollups and last_used_at commit or fail together.
const WRITE_SQL = `WITH
events AS (
  INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
  SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int4[], $6::real[], $7::text[], $8::timestamptz[])
),
rollups AS (
  INSERT INTO usage_rollups (key_id, minute, outcome, count)
  SELECT * FROM unnest($9::text[], $10::timestamptz[], $11::text[], $12::int4[])
  ON CONFLICT (key_id, minute, outcome) DO UPDATE SET count = usage_rollups.count + EXCLUDED.count
),
last_used AS (
  UPDATE api_keys AS k SET last_used_at = GREATEST(k.last_used_at, u.at)
  FROM unnest($13::text[], $14::timestamptz[]) AS u(id, at)
  WHERE k.id = u.id
)
SELECT 1`;


function cleanText(value: unknown, max = MAX_TEXT): string {
  let text = typeof value === "string" ? value : String(value ?? "");
  // PostgreSQL text cannot hold NUL; one such event would otherwise fail every retry forever.
  if (text.includes("\0")) text = text.replaceAll("\0", "");
  return text.length > max ? text.slice(0, max) : text;
}

function cleanPath(value: unknown): string {
  let path = typeof value === "string" ? value : String(value ?? "");
  const query = path.indexOf("?");
  if (query !== -1) path = path.slice(0, query);
  // A key sent in the query string is refused (section 4) but the request is still recorded, and
  // a key could sit in a path segment: neither may reach the usage tables.
  return cleanText(redactKeys(path));
}

function describeError(error: unknown): string {
  // Only the kind of failure: messages from the driver can echo parameter values.
  if (typeof error !== "object" || error === null) return typeof error;
  const e = error as { name?: unknown; code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  return [e.name, e.code, kind].filter((part) => typeof part === "string" && part.length > 0).join(" ") || "unknown error";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class UsageRecorder {
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly lastUsedIntervalMs: number;
  private readonly stopTimeoutMs: number;

  // A queue as an array plus a head index, so record() and dropping the oldest are O(1);
  // consumed slots are compacted away once they make up half the array.
  private events: (BufferedEvent | undefined)[] = [];
  private head = 0;
  // Sequence number of events[head]; lets a flush tell which of its rows are still buffered.
  private headSeq = 0;

  private written = 0;
  private dropped = 0;
  private flushFailures = 0;
  private failing = false;
  private failuresInStreak = 0;
  private droppingSince = 0;

  // Rows a running write has taken [start, end); drops inside it only count if the write fails.
  private inFlight: { start: number; end: number } | null = null;
  private droppedInFlight = 0;

  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private earlyFlushScheduled = false;
  private stopping = false;

  // last_used_at bookkeeping: when each key was last written (monotonic clock) and the newest
  // event time not yet written because the key was written less than an interval ago.
  private lastUsedWrittenAt = new Map<string, number>();
  private lastUsedPending = new Map<string, number>();
  private lastUsedPrunedAt = 0;

  constructor(
    private readonly db: Db,
    options: UsageRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.maxBuffered = Math.max(1, options.maxBuffered ?? 100_000);
    this.lastUsedIntervalMs = options.lastUsedIntervalMs ?? 60_000;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
  }

  private get size(): number {
    return this.events.length - this.head;
  }

  record(event: UsageEventInput): void {
    try {
      const at = event.at instanceof Date ? event.at.getTime() : Number.NaN;
      // Copied, so a caller reusing its object cannot change what gets written.
      this.events.push({
        keyId: event.keyId ?? null,
        outcome: event.outcome,
        method: event.method,
        path: event.path,
        status: Number.isInteger(event.status) && Math.abs(event.status) <= INT4_MAX ? event.status : 0,
        latencyMs: Number.isFinite(event.latencyMs) ? Math.min(Math.max(event.latencyMs, 0), 1e30) : 0,
        ip: event.ip ?? null,
        at: at >= 0 && at <= MAX_TIME_MS ? at : Date.now(),
      });
      if (this.size > this.maxBuffered) this.dropOldest();
      if (this.timer && !this.failing && !this.earlyFlushScheduled && !this.running && this.size >= this.batchSize) {
        this.earlyFlushScheduled = true;
        // Not flushed inline: building the statement is O(batch) and record() must stay O(1).
        setImmediate(() => {
          this.earlyFlushScheduled = false;
          void this.flush();
        });
      }
    } catch {
      // Recording must never break the request it describes.
      this.dropped++;
    }
  }

  private dropOldest(): void {
    const seq = this.headSeq;
    this.events[this.head] = undefined;
    this.head++;
    this.headSeq++;
    if (this.inFlight && seq >= this.inFlight.start && seq < this.inFlight.end) this.droppedInFlight++;
    else this.countDropped(1);
    this.compact();
  }

  private countDropped(count: number): void {
    if (count <= 0) return;
    if (this.droppingSince === 0) {
      console.error(`usage: buffer full (${this.maxBuffered} events), dropping the oldest events until the database accepts writes`);
    }
    this.dropped += count;
    this.droppingSince += count;
  }

  private compact(): void {
    if (this.head >= 1_024 && this.head * 2 >= this.events.length) {
      this.events = this.events.slice(this.head);
      this.head = 0;
    }
  }

  flush(): Promise<void> {
    if (!this.running) return this.startDrain();
    // Coalesce: every caller that arrives while a flush runs shares the one that follows it.
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.startDrain();
    });
    return this.queued;
  }

  private startDrain(): Promise<void> {
    const run = this.drain()
      .catch((error: unknown) => {
        // drain() handles write errors itself; this only guards against a bug taking the process down.
        this.flushFailures++;
        console.error(`usage: flush failed unexpectedly (${describeError(error)})`);
      })
      .finally(() => {
        if (this.running === run) this.running = null;
      });
    this.running = run;
    return run;
  }

  private async drain(): Promise<void> {
    // Only what is buffered now: under constant load a flush must still end.
    const target = this.headSeq + this.size;
    for (;;) {
      const count = Math.max(0, Math.min(CHUNK_SIZE, target - this.headSeq, this.size));
      const ok = await this.writeChunk(count);
      if (!ok || count === 0 || this.headSeq >= target) break;
    }
    if (!this.failing && this.timer && this.size >= this.batchSize && !this.earlyFlushScheduled) {
      this.earlyFlushScheduled = true;
      setImmediate(() => {
        this.earlyFlushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes the oldest `count` events plus any due last_used_at; false when the write failed. */
  private async writeChunk(count: number): Promise<boolean> {
    const now = performance.now();
    const chunk = this.events.slice(this.head, this.head + count) as BufferedEvent[];

    const keyIds: (string | null)[] = new Array(count);
    const outcomes: string[] = new Array(count);
    const methods: string[] = new Array(count);
    const paths: string[] = new Array(count);
    const statuses: number[] = new Array(count);
    const latencies: number[] = new Array(count);
    const ips: (string | null)[] = new Array(count);
    const ats: string[] = new Array(count);
    const rollups = new Map<string, { keyId: string; minute: number; outcome: string; count: number }>();
    const newestByKey = new Map<string, number>();

    for (let i = 0; i < count; i++) {
      const event = chunk[i];
      const keyId = event.keyId === null ? null : cleanText(event.keyId);
      const outcome = cleanText(event.outcome, 64);
      keyIds[i] = keyId;
      outcomes[i] = outcome;
      methods[i] = cleanText(event.method, 16);
      paths[i] = cleanPath(event.path);
      statuses[i] = event.status;
      latencies[i] = event.latencyMs;
      ips[i] = event.ip === null ? null : cleanText(event.ip, 64);
      ats[i] = new Date(event.at).toISOString();

      const minute = event.at - (event.at % 60_000);
      const rollupKey = `${keyId ?? ""}\u0000${minute}\u0000${outcome}`;
      const rollup = rollups.get(rollupKey);
      if (rollup) rollup.count++;
      else rollups.set(rollupKey, { keyId: keyId ?? "", minute, outcome, count: 1 });

      if (keyId !== null) {
        const newest = newestByKey.get(keyId);
        if (newest === undefined || event.at > newest) newestByKey.set(keyId, event.at);
      }
    }

    // Sorted so that instances sharing a database lock rollup rows in the same order.
    const rollupRows = [...rollups.values()].sort((a, b) =>
      a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : a.minute - b.minute || (a.outcome < b.outcome ? -1 : a.outcome > b.outcome ? 1 : 0),
    );

    const { due, notDue } = this.lastUsedDue(newestByKey, now);
    if (count === 0 && due.size === 0) return true;
    const dueIds = [...due.keys()].sort();

    this.inFlight = { start: this.headSeq, end: this.headSeq + count };
    this.droppedInFlight = 0;
    try {
      await this.db.$executeRawUnsafe(
        WRITE_SQL,
        keyIds,
        outcomes,
        methods,
        paths,
        statuses,
        latencies,
        ips,
        ats,
        rollupRows.map((row) => row.keyId),
        rollupRows.map((row) => new Date(row.minute).toISOString()),
        rollupRows.map((row) => row.outcome),
        rollupRows.map((row) => row.count),
        dueIds,
        dueIds.map((id) => new Date(due.get(id)!).toISOString()),
      );
    } catch (error) {
      this.inFlight = null;
      this.countDropped(this.droppedInFlight);
      this.droppedInFlight = 0;
      this.flushFailures++;
      this.failuresInStreak++;
      if (!this.failing) {
        console.error(`usage: writing ${count} events failed (${describeError(error)}); they stay buffered and are retried`);
      }
      this.failing = true;
      return false;
    }

    const end = this.inFlight.end;
    this.inFlight = null;
    this.droppedInFlight = 0;
    // Rows dropped during the write were written anyway; remove what is left of the chunk.
    while (this.headSeq < end) {
      this.events[this.head] = undefined;
      this.head++;
      this.headSeq++;
    }
    this.compact();
    this.written += count;

    for (const id of dueIds) {
      this.lastUsedWrittenAt.set(id, now);
      this.lastUsedPending.delete(id);
    }
    for (const [id, at] of notDue) this.lastUsedPending.set(id, at);
    this.pruneLastUsed(now);

    if (this.failing) {
      console.error(`usage: database writable again after ${this.failuresInStreak} failed flushes`);
      this.failing = false;
      this.failuresInStreak = 0;
    }
    if (this.droppingSince > 0) {
      console.error(`usage: ${this.droppingSince} events were dropped while the buffer was full`);
      this.droppingSince = 0;
    }
    return true;
  }

  /**
   * Splits keys into those whose last_used_at may be written now (not written within the
   * interval, or the recorder is stopping) and those to keep pending. Pending keys with no new
   * events are included, so last_used_at is never more than an interval behind.
   */
  private lastUsedDue(newestByKey: Map<string, number>, now: number): { due: Map<string, number>; notDue: Map<string, number> } {
    const due = new Map<string, number>();
    const notDue = new Map<string, number>();
    const isDue = (id: string) => {
      if (this.stopping) return true;
      const writtenAt = this.lastUsedWrittenAt.get(id);
      return writtenAt === undefined || now - writtenAt >= this.lastUsedIntervalMs;
    };
    for (const [id, at] of newestByKey) {
      const pending = this.lastUsedPending.get(id);
      const newest = pending !== undefined && pending > at ? pending : at;
      (isDue(id) ? due : notDue).set(id, newest);
    }
    for (const [id, at] of this.lastUsedPending) {
      if (!newestByKey.has(id) && isDue(id)) due.set(id, at);
    }
    return { due, notDue };
  }

  private pruneLastUsed(now: number): void {
    // Entries older than an interval mean the same as no entry; without pruning, every key ever
    // seen would stay in memory.
    if (now - this.lastUsedPrunedAt < this.lastUsedIntervalMs) return;
    this.lastUsedPrunedAt = now;
    for (const [id, writtenAt] of this.lastUsedWrittenAt) {
      if (now - writtenAt >= this.lastUsedIntervalMs && !this.lastUsedPending.has(id)) this.lastUsedWrittenAt.delete(id);
    }
  }

  start(): void {
    if (this.timer) return;
    this.stopping = false;
    this.timer = setInterval(() => {
      this.flush().catch(() => undefined);
    }, this.flushIntervalMs);
    // Buffered usage must not keep a process alive; shutdown flushes through stop().
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.stopping = true;
    const deadline = performance.now() + this.stopTimeoutMs;
    try {
      for (;;) {
        await this.flush();
        if (this.size === 0 && !this.failing && this.lastUsedPending.size === 0) return;
        const left = deadline - performance.now();
        if (left <= 0) {
          console.error(`usage: giving up on ${this.size} buffered events at shutdown, the database is not accepting writes`);
          return;
        }
        if (this.failing) await sleep(Math.min(RETRY_PAUSE_MS, left));
      }
    } finally {
      this.stopping = false;
    }
  }

  stats(): UsageRecorderStats {
    return { buffered: this.size, written: this.written, dropped: this.dropped, flushFailures: this.flushFailures };
  }
}

// Kept on globalThis: Next bundles route code apart from the server, and both must feed one
// buffer that the shutdown hook flushes.
const holder = globalThis as unknown as { keyholdUsageRecorder?: UsageRecorder };

export function getUsageRecorder(): UsageRecorder {
  if (!holder.keyholdUsageRecorder) {
    const recorder = new UsageRecorder(getDb());
    holder.keyholdUsageRecorder = recorder;
    recorder.start();
    onShutdown("flush", () => recorder.stop());
  }
  return holder.keyholdUsageRecorder;
}
