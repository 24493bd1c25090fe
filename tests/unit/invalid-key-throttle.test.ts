import { describe, expect, it } from "vitest";

import { InvalidKeyThrottle } from "../../lib/ratelimit/invalid-key-throttle";
import { takeThrottledAddresses } from "../../lib/webhooks/throttled-addresses";

// DESIGN.md section 14: more than `limit` invalid keys from one address within a fixed one-minute
// window (starting at its first invalid key) is refused for the rest of that window.
const WINDOW_MS = 60_000;
const MAX_TRACKED = 100_000;

function clock(start = 1_700_000_000_000) {
  const state = { t: start };
  return { state, now: () => state.t };
}

function tracked(throttle: InvalidKeyThrottle): number {
  return (throttle as unknown as { windows: Map<string, unknown> }).windows.size;
}

describe("InvalidKeyThrottle", () => {
  it("notes an address for the security.invalid_key_flood webhook once, when it starts being refused", () => {
    const { now } = clock();
    const throttle = new InvalidKeyThrottle(3, now);
    takeThrottledAddresses();
    throttle.recordInvalid("198.51.100.7");
    throttle.recordInvalid("198.51.100.7");
    expect(takeThrottledAddresses()).toEqual([]);
    throttle.recordInvalid("198.51.100.7");
    throttle.recordInvalid("198.51.100.7");
    expect(takeThrottledAddresses()).toEqual(["198.51.100.7"]);
    expect(takeThrottledAddresses()).toEqual([]);
  });

  it("does not block an address it has never seen", () => {
    const { now } = clock();
    expect(new InvalidKeyThrottle(20, now).blockedFor("198.51.100.7")).toBe(0);
  });

  it("lets 20 invalid keys through and refuses the next request, for the rest of the window", () => {
    const { state, now } = clock();
    const start = state.t;
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 20; i++) {
      // Checked before each attempt, as the request path does.
      expect(throttle.blockedFor("198.51.100.7")).toBe(0);
      throttle.recordInvalid("198.51.100.7");
      state.t += 100;
    }
    // The 21st request: blocked until one minute after the first invalid key.
    expect(throttle.blockedFor("198.51.100.7")).toBe(start + WINDOW_MS - state.t);
    expect(throttle.blockedFor("198.51.100.7")).toBe(58_000);
  });

  it("does not block at 19 invalid keys", () => {
    const { now } = clock();
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 19; i++) throttle.recordInvalid("198.51.100.7");
    expect(throttle.blockedFor("198.51.100.7")).toBe(0);
  });

  it("honours the configured limit", () => {
    const { now } = clock();
    const throttle = new InvalidKeyThrottle(3, now);
    throttle.recordInvalid("a");
    throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBe(0);
    throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBe(WINDOW_MS);
  });

  it("uses a fixed window: more invalid keys while blocked do not extend it", () => {
    const { state, now } = clock();
    const start = state.t;
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 20; i++) throttle.recordInvalid("a");
    state.t = start + 30_000;
    for (let i = 0; i < 50; i++) throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBe(30_000);
    state.t = start + WINDOW_MS - 1;
    expect(throttle.blockedFor("a")).toBe(1);
    state.t = start + WINDOW_MS;
    expect(throttle.blockedFor("a")).toBe(0);
  });

  it("is not a sliding window: invalid keys late in one window and early in the next do not add up", () => {
    const { state, now } = clock();
    const start = state.t;
    const throttle = new InvalidKeyThrottle(20, now);
    throttle.recordInvalid("a"); // opens the window at `start`
    state.t = start + 59_000;
    for (let i = 0; i < 18; i++) throttle.recordInvalid("a"); // 19 in the first window
    state.t = start + 61_000;
    for (let i = 0; i < 19; i++) throttle.recordInvalid("a"); // 19 in a new window
    expect(throttle.blockedFor("a")).toBe(0);
  });

  it("unblocks after the window and restarts counting from the next invalid key", () => {
    const { state, now } = clock();
    const start = state.t;
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 20; i++) throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBeGreaterThan(0);

    state.t = start + 90_000;
    expect(throttle.blockedFor("a")).toBe(0);
    for (let i = 0; i < 19; i++) throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBe(0);
    state.t += 5_000;
    throttle.recordInvalid("a");
    // The new window started at the first invalid key after the old one ended (start + 90 s).
    expect(throttle.blockedFor("a")).toBe(start + 90_000 + WINDOW_MS - state.t);
  });

  it("also restarts counting when the expired window was never checked", () => {
    const { state, now } = clock();
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 19; i++) throttle.recordInvalid("a");
    state.t += WINDOW_MS;
    throttle.recordInvalid("a");
    expect(throttle.blockedFor("a")).toBe(0);
  });

  it("leaves other addresses unaffected", () => {
    const { now } = clock();
    const throttle = new InvalidKeyThrottle(20, now);
    for (let i = 0; i < 100; i++) throttle.recordInvalid("198.51.100.7");
    expect(throttle.blockedFor("198.51.100.7")).toBeGreaterThan(0);
    expect(throttle.blockedFor("198.51.100.8")).toBe(0);
    expect(throttle.blockedFor("2001:db8::7")).toBe(0);
    for (let i = 0; i < 19; i++) throttle.recordInvalid("198.51.100.8");
    expect(throttle.blockedFor("198.51.100.8")).toBe(0);
  });

  it("stays bounded under a flood of distinct addresses, all mid-window, and keeps working", () => {
    const { now } = clock();
    const throttle = new InvalidKeyThrottle(1, now);
    for (let i = 0; i < MAX_TRACKED + 10; i++) throttle.recordInvalid(`addr-${i}`);
    expect(tracked(throttle)).toBeLessThanOrEqual(MAX_TRACKED);
    expect(throttle.blockedFor(`addr-${MAX_TRACKED + 9}`)).toBe(WINDOW_MS);
    throttle.recordInvalid("newcomer");
    expect(throttle.blockedFor("newcomer")).toBe(WINDOW_MS);
  });

  it("forgets expired windows first when full", () => {
    const { state, now } = clock();
    const throttle = new InvalidKeyThrottle(1, now);
    for (let i = 0; i < MAX_TRACKED; i++) throttle.recordInvalid(`addr-${i}`);
    state.t += WINDOW_MS;
    throttle.recordInvalid("newcomer");
    expect(tracked(throttle)).toBe(1);
    expect(throttle.blockedFor("newcomer")).toBe(WINDOW_MS);
    expect(throttle.blockedFor("addr-0")).toBe(0);
  });
});
