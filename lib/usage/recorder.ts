import { getDb, type Db } from "../db/client";
import { INT4_MAX } from "../db/int4";
import { env } from "../env";
import { processSingleton } from "../process/process-singleton";
import { onShutdown } from "../process/shutdown";
import { LastUsedThrottle } from "./last-used-throttle";
import { latencyBucket } from "./latency-histogram";
import { UsageBuffer, type StoredEvent } from "./usage-buffer";
import { refusedWithoutLookup, storablePath, storableText, type UsageEventInput } from "./usage-event";
import { writeUsage, type UsageFlushHook } from "./write-usage";

// Usage events (DESIGN.md sections 9 and 15.2). The verification path must not wait on the
// database for bookkeeping, so record() only appends to memory; a timer writes the buffer in
// bulk. While the database is unreachable events stay buffered, oldest first, and are written
// when it returns.

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

// One write is one transaction; a 5000-row chunk stays well below PostgreSQL's parameter and
// message limits because the raw rows are one JSON parameter and each derived column one array.
const CHUNK_SIZE = 5_000;
// Years 1970..9999: toISOString() writes anything later with a sign PostgreSQL will not parse.
const MAX_TIME_MS = 253_402_300_799_999;
const RETRY_PAUSE_MS = 250;
// Flushes in a row that may fail on a hook before the hooks run without holding the write back:
// a hook that fails the same way every time (a bad value, a bug) would otherwise keep every
// key's usage buffered until the buffer drops it.
const HOOK_FAILURES_BEFORE_SKIPPING = 3;

function describeError(error: unknown): string {
  // Only the kind of failure: messages from the driver can echo parameter values.
  if (typeof error !== "object" || error === null) return typeof error;
  const e = error as { name?: unknown; code?: unknown; meta?: { driverAdapterError?: { cause?: { kind?: unknown } } } };
  const kind = e.meta?.driverAdapterError?.cause?.kind;
  return [e.name, e.code, kind].filter((part) => typeof part === "string" && part.length > 0).join(" ") || "unknown error";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The event as it may be kept: checked and cut once, here, so the buffer never holds more. */
function storedEvent(event: UsageEventInput): StoredEvent {
  const at = typeof event.at === "number" ? event.at : event.at instanceof Date ? event.at.getTime() : Number.NaN;
  const cost = event.cost ?? 1;
  return {
    keyId: event.keyId === null || event.keyId === undefined ? null : storableText(event.keyId, 64),
    outcome: storableText(event.outcome, 64),
    method: storableText(event.method, 16),
    path: storablePath(event.path),
    status: Number.isInteger(event.status) && Math.abs(event.status) <= INT4_MAX ? event.status : 0,
    // Rounded as the real column stores it, so a rebuild from raw rows buckets it the same way.
    latencyMs: Number.isFinite(event.latencyMs) ? Math.fround(Math.min(Math.max(event.latencyMs, 0), 1e30)) : 0,
    ip: event.ip === null || event.ip === undefined ? null : storableText(event.ip, 64),
    at: at >= 0 && at <= MAX_TIME_MS ? at : Date.now(),
    cost: Number.isInteger(cost) && cost >= 0 && cost <= INT4_MAX ? cost : 1,
  };
}

export class UsageRecorder {
  private readonly flushIntervalMs: number;
  private readonly batchSize: number;
  private readonly stopTimeoutMs: number;
  private readonly buffer: UsageBuffer;
  private readonly lastUsed: LastUsedThrottle;
  private readonly hooks: UsageFlushHook[] = [];

  private written = 0;
  private flushFailures = 0;
  private failing = false;
  private failuresInStreak = 0;

  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private earlyFlushScheduled = false;
  private stopping = false;

  constructor(
    private readonly db: Db,
    options: UsageRecorderOptions = {},
  ) {
    this.flushIntervalMs = options.flushIntervalMs ?? 1_000;
    this.batchSize = Math.max(1, options.batchSize ?? 500);
    this.stopTimeoutMs = options.stopTimeoutMs ?? 10_000;
    this.buffer = new UsageBuffer(Math.max(1, options.maxBuffered ?? 100_000));
    this.lastUsed = new LastUsedThrottle(options.lastUsedIntervalMs ?? 60_000);
  }

  /** Runs in every flush's transaction from now on (see UsageFlushHook). */
  addFlushHook(hook: UsageFlushHook): void {
    this.hooks.push(hook);
  }

  record(event: UsageEventInput): void {
    try {
      // Copied, so a caller reusing its object cannot change what gets written.
      const stored = storedEvent(event);
      if (refusedWithoutLookup(stored.keyId, stored.outcome)) {
        const { keyId, outcome, status, at, cost } = stored;
        this.buffer.tally({ keyId, outcome, status, at, cost, method: null, path: null, ip: null, bucket: latencyBucket(stored.latencyMs) });
        return;
      }
      this.buffer.push(stored);
      if (this.timer && !this.failing && !this.earlyFlushScheduled && !this.running && this.buffer.size >= this.batchSize) {
        this.earlyFlushScheduled = true;
        // Not flushed inline: building the statement is O(batch) and record() must stay O(1).
        setImmediate(() => {
          this.earlyFlushScheduled = false;
          void this.flush();
        });
      }
    } catch {
      // Recording must never break the request it describes.
      this.buffer.dropped++;
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
    let left = this.buffer.size;
    for (;;) {
      const count = Math.min(CHUNK_SIZE, left, this.buffer.size);
      const ok = await this.writeChunk(count);
      left -= count;
      if (!ok || count === 0 || left <= 0) break;
    }
    if (!this.failing && this.timer && this.buffer.size >= this.batchSize && !this.earlyFlushScheduled) {
      this.earlyFlushScheduled = true;
      setImmediate(() => {
        this.earlyFlushScheduled = false;
        void this.flush();
      });
    }
  }

  /** Writes the oldest `count` events, the tallies and any due last_used_at; false when the write failed. */
  private async writeChunk(count: number): Promise<boolean> {
    const now = performance.now();
    const newestByKey = new Map<string, number>();
    const { events, tallies } = this.buffer.beginWrite(count);
    for (const event of events) {
      if (event.keyId === null) continue;
      const newest = newestByKey.get(event.keyId);
      if (newest === undefined || event.at > newest) newestByKey.set(event.keyId, event.at);
    }
    const { due, notDue } = this.lastUsed.due(newestByKey, now, this.stopping);
    if (events.length === 0 && tallies.length === 0 && due.size === 0) {
      this.buffer.commitWrite();
      return true;
    }

    try {
      const onHookError =
        this.failuresInStreak >= HOOK_FAILURES_BEFORE_SKIPPING
          ? (error: unknown) => console.error(`usage: a step after the write failed again (${describeError(error)}); the events are written without it`)
          : undefined;
      await writeUsage(this.db, { events, tallies, lastUsed: due }, this.hooks, onHookError);
    } catch (error) {
      this.buffer.failWrite(tallies);
      this.flushFailures++;
      this.failuresInStreak++;
      if (!this.failing) {
        console.error(`usage: writing ${events.length} events failed (${describeError(error)}); they stay buffered and are retried`);
      }
      this.failing = true;
      return false;
    }

    this.buffer.commitWrite();
    this.written += events.length;
    this.lastUsed.written(due.keys(), notDue, now);
    if (this.failing) {
      console.error(`usage: database writable again after ${this.failuresInStreak} failed flushes`);
      this.failing = false;
      this.failuresInStreak = 0;
    }
    if (this.buffer.droppingSince > 0) {
      console.error(`usage: ${this.buffer.droppingSince} events were dropped while the buffer was full`);
      this.buffer.droppingSince = 0;
    }
    return true;
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
        if (this.buffer.size === 0 && this.buffer.tallyCount === 0 && !this.failing && !this.lastUsed.hasPending) return;
        const left = deadline - performance.now();
        if (left <= 0) {
          console.error(`usage: giving up on ${this.buffer.size} buffered events at shutdown, the database is not accepting writes`);
          return;
        }
        if (this.failing) await sleep(Math.min(RETRY_PAUSE_MS, left));
      }
    } finally {
      this.stopping = false;
    }
  }

  stats(): UsageRecorderStats {
    return { buffered: this.buffer.size, written: this.written, dropped: this.buffer.dropped, flushFailures: this.flushFailures };
  }

  /** Estimated memory the buffer holds: what a flood of requests costs before it is written. */
  bufferedBytes(): number {
    return this.buffer.bufferedBytes;
  }
}

// The server and Next's bundles must feed one buffer, the one the shutdown hook flushes.
export function getUsageRecorder(): UsageRecorder {
  return processSingleton("keyholdUsageRecorder", () => {
    const recorder = new UsageRecorder(getDb(), { maxBuffered: env().KEYHOLD_USAGE_BUFFER_MAX_EVENTS });
    recorder.start();
    onShutdown("flush", () => recorder.stop());
    return recorder;
  });
}
