// Slows down password guessing (DESIGN.md section 15.7) without letting anyone lock an account:
// - Per (email, address): once FREE_FAILURES attempts have failed (or are still being checked)
//   within the window, each further attempt waits before its password is checked, doubling up
//   to MAX_DELAY_MS. Attempts that arrive together queue one after the other, and an attempt that
//   would queue longer than MAX_QUEUE_MS is refused unchecked, so a burst buys nothing.
// - Per address, the same with a larger allowance: one address guessing at many accounts.
// - Per email, across addresses: only a delay, capped, never a queue and never a refusal. An
//   attacker failing on an email from elsewhere can slow its owner's sign-in by seconds but never
//   refuse the right password from an address that did not fail.
// Per instance, in memory, bounded.

const WINDOW_MS = 15 * 60_000;
const FREE_FAILURES = 5;
// An office behind one NAT address shares this allowance.
const FREE_ADDRESS_FAILURES = 20;
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

/** Who tries: the email typed (or the account, for a password change) and the client address. */
export interface Attempt {
  email: string;
  address: string;
}

/** What an attempt must do: wait this long and then check the password, or be refused unchecked. */
export type Admission = { wait: number } | { refused: true };

export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Admits an attempt; every admitted attempt must be ended with `finish`. */
  begin(attempt: Attempt): Admission {
    const now = this.now();
    const queued = this.queued(attempt);
    let start = now;
    const delays = new Map<string, number>();
    for (const [key, free] of queued) {
      const entry = this.current(key, now);
      const delay = entry ? delayAfter(entry.failures + entry.pending, free) : 0;
      if (delay === 0) continue;
      delays.set(key, delay);
      start = Math.max(start, now + delay, entry!.nextAt);
    }
    // Refused attempts reserve nothing and count for nothing: they were never checked.
    if (start - now > MAX_QUEUE_MS) return { refused: true };
    const email = this.current(emailKey(attempt), now);
    const emailDelay = email ? delayAfter(email.failures + email.pending, FREE_FAILURES) : 0;
    for (const key of this.keys(attempt)) {
      const entry = this.current(key, now) ?? this.track(key, now);
      entry.pending += 1;
      const delay = delays.get(key);
      if (delay !== undefined) entry.nextAt = start + delay;
    }
    return { wait: Math.max(start - now, emailDelay) };
  }

  /**
   * Ends an admitted attempt. A success forgets the failures of its email, from this address and
   * from everywhere, but not the address's own (it may be guessing at other accounts); "unknown"
   * (the check itself failed, say the database was down) counts neither way.
   */
  finish(attempt: Attempt, outcome: "success" | "failure" | "unknown"): void {
    const now = this.now();
    for (const key of this.keys(attempt)) {
      const entry = this.current(key, now);
      if (!entry) continue;
      entry.pending = Math.max(0, entry.pending - 1);
      if (outcome === "failure") entry.failures += 1;
      else if (outcome === "success" && key !== addressKey(attempt)) entry.failures = 0;
      if (entry.failures === 0 && entry.pending === 0) this.entries.delete(key);
    }
  }

  private queued(attempt: Attempt): [string, number][] {
    return [
      [pairKey(attempt), FREE_FAILURES],
      [addressKey(attempt), FREE_ADDRESS_FAILURES],
    ];
  }

  private keys(attempt: Attempt): string[] {
    return [pairKey(attempt), addressKey(attempt), emailKey(attempt)];
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

function delayAfter(count: number, free: number): number {
  return count < free ? 0 : Math.min(MAX_DELAY_MS, BASE_DELAY_MS * 2 ** (count - free));
}

function pairKey(attempt: Attempt): string {
  return `pair:${attempt.email}\n${attempt.address}`;
}

function addressKey(attempt: Attempt): string {
  return `ip:${attempt.address}`;
}

function emailKey(attempt: Attempt): string {
  return `email:${attempt.email}`;
}

const holder = globalThis as unknown as { keyholdLoginThrottle?: LoginThrottle };

export function sharedLoginThrottle(): LoginThrottle {
  holder.keyholdLoginThrottle ??= new LoginThrottle();
  return holder.keyholdLoginThrottle;
}
