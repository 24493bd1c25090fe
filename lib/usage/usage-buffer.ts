import type { CountedEvent } from "./aggregate-usage";
import type { UsageEventInput } from "./usage-event";

// The in-memory side of usage recording: events waiting to be written, oldest first, and tallies
// of requests refused without a lookup, which are only counted. While the database refuses
// writes the queue is bounded by dropping its oldest events; a tally grows with distinct
// minutes, outcomes, statuses and latency buckets, never with the number of requests.

/** An event as buffered: cleaned when recorded, its time as epoch milliseconds, its cost set. */
export interface StoredEvent extends Omit<UsageEventInput, "at" | "cost"> {
  at: number;
  cost: number;
}

// A rough per-event overhead (object, fields, queue slot) for the byte estimate.
const EVENT_OVERHEAD_BYTES = 120;

function eventBytes(event: StoredEvent): number {
  // JavaScript strings take two bytes per UTF-16 unit.
  return EVENT_OVERHEAD_BYTES + 2 * (event.path.length + event.method.length + event.outcome.length + (event.keyId?.length ?? 0) + (event.ip?.length ?? 0));
}

// Tallies are kept per minute: the finest derived bucket.
const tallyId = (event: Omit<CountedEvent, "count">) => `${event.keyId ?? ""}\0${event.at}\0${event.outcome}\0${event.status}\0${event.bucket}\0${event.cost}`;

export class UsageBuffer {
  // A queue as an array plus a head index, so push and dropping the oldest are O(1); consumed
  // slots are compacted away once they make up half the array.
  private events: (StoredEvent | undefined)[] = [];
  private head = 0;
  // Sequence number of events[head]; lets a write tell which of its rows are still buffered.
  private headSeq = 0;
  private bytes = 0;
  private tallies = new Map<string, CountedEvent>();

  // Rows a running write has taken [start, end); drops inside it only count if the write fails.
  private inFlight: { start: number; end: number } | null = null;
  private droppedInFlight = 0;

  dropped = 0;
  /** Drops since the database last accepted a write, for the log line that reports them. */
  droppingSince = 0;

  constructor(private readonly maxBuffered: number) {}

  get size(): number {
    return this.events.length - this.head;
  }

  get tallyCount(): number {
    return this.tallies.size;
  }

  /** Estimated memory held by buffered events and tallies. */
  get bufferedBytes(): number {
    return this.bytes + this.tallies.size * EVENT_OVERHEAD_BYTES * 2;
  }

  push(event: StoredEvent): void {
    this.events.push(event);
    this.bytes += eventBytes(event);
    if (this.size > this.maxBuffered) this.dropOldest();
  }

  tally(event: Omit<CountedEvent, "count">): void {
    const minuteEvent = { ...event, at: event.at - (event.at % 60_000) };
    const id = tallyId(minuteEvent);
    const tally = this.tallies.get(id);
    if (tally) tally.count++;
    else this.tallies.set(id, { ...minuteEvent, count: 1 });
  }

  /** The oldest `count` events and every tally, taken for one write. */
  beginWrite(count: number): { events: StoredEvent[]; tallies: CountedEvent[] } {
    const events = this.events.slice(this.head, this.head + count) as StoredEvent[];
    const tallies = [...this.tallies.values()];
    this.tallies = new Map();
    this.inFlight = { start: this.headSeq, end: this.headSeq + events.length };
    this.droppedInFlight = 0;
    return { events, tallies };
  }

  /** The write committed: its events leave the queue (rows dropped meanwhile were written anyway). */
  commitWrite(): void {
    const end = this.inFlight?.end ?? this.headSeq;
    this.inFlight = null;
    this.droppedInFlight = 0;
    while (this.headSeq < end) this.shift();
    this.compact();
  }

  /** The write failed: its events stay queued and its tallies are counted again. */
  failWrite(tallies: readonly CountedEvent[]): void {
    this.inFlight = null;
    this.countDropped(this.droppedInFlight);
    this.droppedInFlight = 0;
    for (const tally of tallies) {
      const id = tallyId(tally);
      const current = this.tallies.get(id);
      if (current) current.count += tally.count;
      else this.tallies.set(id, { ...tally });
    }
  }

  private shift(): void {
    const event = this.events[this.head];
    if (event) this.bytes -= eventBytes(event);
    this.events[this.head] = undefined;
    this.head++;
    this.headSeq++;
  }

  private dropOldest(): void {
    const seq = this.headSeq;
    this.shift();
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
}
