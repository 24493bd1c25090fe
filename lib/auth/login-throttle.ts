// Slows down password guessing: once FREE_FAILURES sign-ins for one email or from one address
// have failed (or are still being checked) within the window, each further attempt waits before
// its password is checked, doubling up to MAX_DELAY_MS. Attempts that arrive together are
// queued one after the other rather than all waiting the same delay and then all being checked
// at once, and an attempt that would queue longer than MAX_QUEUE_MS is refused unchecked, so a
// burst of parallel requests buys an attacker nothing. Per instance, in memory, bounded.
import { processSingleton } from "../process/process-singleton";

const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 5;
// A checked password alone takes from under half a second to over one on a busy server (bcrypt,
// cost 12): a pause shorter than that would pass unnoticed by a person and barely slow a script.
const BASE_DELAY_MS = 2_000;
// A sign-in request is held open while it waits; much longer and proxies or browsers give up.
const MAX_DELAY_MS = 10_000;
const MAX_QUEUE_MS = 2 * MAX_DELAY_MS;
const MAX_TRACKED = 50_000;

interface Entry {
  first: number;
  failures: number;
  /** Attempts admitted and not yet finished: they count as failures until they are known. */
  pending: number;
  /** The earliest time another throttled attempt may be checked. */
  nextAt: number;
}

/** What an attempt must do: wait this long and then check the password, or be refused unchecked. */
export type Admission = { wait: number } | { refused: true };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Admits an attempt; every admitted attempt must be ended with `finish`. */
  begin(keys: readonly string[]): Admission {
    const now = this.now();
    let start = now;
    const delays = new Map<string, number>();
    for (const key of keys) {
      const entry = this.current(key, now);
      const count = entry ? entry.failures + entry.pending : 0;
      if (!entry || count < FREE_FAILURES) continue;
      const delay = Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (count - FREE_FAILURES));
      delays.set(key, delay);
      start = Math.max(start, now + delay, entry.nextAt);
    }
    // Refused attempts reserve nothing and count for nothing: they were never checked.
    if (start - now > MAX_QUEUE_MS) return { refused: true };
    for (const key of keys) {
      const entry = this.current(key, now) ?? this.track(key, now);
      entry.pending += 1;
      const delay = delays.get(key);
      if (delay !== undefined) entry.nextAt = start + delay;
    }
    return { wait: start - now };
  }

  /**
   * Ends an admitted attempt. A success forgets the earlier failures of `clear` only; "unknown"
   * (the check itself failed, say the database was down) counts neither way.
   */
  finish(keys: readonly string[], outcome: "success" | "failure" | "unknown", clear: readonly string[] = keys): void {
    const now = this.now();
    for (const key of keys) {
      const entry = this.current(key, now);
      if (!entry) continue;
      entry.pending = Math.max(0, entry.pending - 1);
      if (outcome === "failure") entry.failures += 1;
      else if (outcome === "success" && clear.includes(key)) entry.failures = 0;
      if (entry.failures === 0 && entry.pending === 0) this.entries.delete(key);
    }
  }

  private track(key: string, now: number): Entry {
    if (this.entries.size >= MAX_TRACKED) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    const entry: Entry = { first: now, failures: 0, pending: 0, nextAt: 0 };
    this.entries.set(key, entry);
    return entry;
  }

  private current(key: string, now: number): Entry | undefined {
    const entry = this.entries.get(key);
    if (!entry || now - entry.first < WINDOW_MS) return entry;
    if (entry.pending === 0) {
      this.entries.delete(key);
      return undefined;
    }
    // Attempts still in flight keep their place, so that finishing them stays balanced.
    entry.first = now;
    entry.failures = 0;
    entry.nextAt = 0;
    return entry;
  }
}

export function sharedLoginThrottle(): LoginThrottle {
  return processSingleton("keyholdLoginThrottle", () => new LoginThrottle());
}
