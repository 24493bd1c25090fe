import { noteThrottledAddress } from "../webhooks/throttled-addresses";

// Invalid-key throttling (DESIGN.md section 14): an address that sent `limit` invalid keys
// within a fixed one-minute window (starting at its first invalid key) is refused for the
// rest of that window, before any lookup, so keys cannot be enumerated. Per instance.

const WINDOW_MS = 60_000;
// Bounds memory under a flood of distinct addresses; ended windows are dropped first.
const MAX_TRACKED = 100_000;

interface Window {
  start: number;
  count: number;
}

export class InvalidKeyThrottle {
  private readonly windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds until the address may try again, or 0 when it is not blocked. */
  blockedFor(address: string): number {
    const window = this.windows.get(address);
    if (!window) return 0;
    const left = window.start + WINDOW_MS - this.now();
    if (left <= 0) {
      this.windows.delete(address);
      return 0;
    }
    return window.count >= this.limit ? left : 0;
  }

  recordInvalid(address: string): void {
    const now = this.now();
    const window = this.windows.get(address);
    if (window && now - window.start < WINDOW_MS) {
      window.count += 1;
      if (window.count === this.limit) noteThrottledAddress(address);
      return;
    }
    // Deleted before setting, so the map's insertion order stays the order of window starts.
    if (window) this.windows.delete(address);
    if (this.windows.size >= MAX_TRACKED) this.makeRoom(now);
    this.windows.set(address, { start: now, count: 1 });
    if (this.limit === 1) noteThrottledAddress(address);
  }

  // Windows sit in start order, so ended ones are at the front: stop at the first still running.
  // If none has ended, forget the oldest rather than grow without bound. Amortised O(1).
  private makeRoom(now: number): void {
    for (const [address, window] of this.windows) {
      if (now - window.start < WINDOW_MS) break;
      this.windows.delete(address);
    }
    if (this.windows.size >= MAX_TRACKED) {
      const oldest = this.windows.keys().next().value;
      if (oldest !== undefined) this.windows.delete(oldest);
    }
  }
}
