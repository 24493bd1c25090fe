import { describe, expect, it } from "vitest";
import { LoginThrottle, type Admission } from "../../lib/auth/login-throttle";

// Sign-in throttling (lib/auth/login-throttle.ts): five free failures per email or address, then
// each attempt waits 2 s, 4 s, 8 s, then 10 s; parallel attempts queue; a queue longer than
// 20 s is refused unchecked.

const EMAIL = "email:alice@example.com";
const IP = "ip:198.51.100.7";
const keys = [EMAIL, IP];

function clock(start = 1_700_000_000_000) {
  const state = { t: start };
  return { state, now: () => state.t };
}

function waitOf(admission: Admission): number {
  if ("refused" in admission) throw new Error("refused");
  return admission.wait;
}

function fail(throttle: LoginThrottle, times: number, on: readonly string[] = keys) {
  for (let i = 0; i < times; i++) {
    waitOf(throttle.begin(on));
    throttle.finish(on, "failure");
  }
}

describe("LoginThrottle", () => {
  it("lets the first five failures through without waiting, then waits 2 s, 4 s, 8 s, then 10 s", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 5; i++) {
      expect(waitOf(throttle.begin(keys))).toBe(0);
      throttle.finish(keys, "failure");
    }
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const wait = waitOf(throttle.begin(keys));
      waits.push(wait);
      state.t += wait + 300;
      throttle.finish(keys, "failure");
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("slows an attempt even when the user paused before retrying", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 5);
    state.t += 30_000;
    expect(waitOf(throttle.begin(keys))).toBe(2_000);
  });

  it("counts per email and per address: either one reaching the limit slows the attempt", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 5; i++) fail(throttle, 1, [EMAIL, `ip:203.0.113.${i}`]);
    expect(waitOf(throttle.begin([EMAIL, "ip:203.0.113.99"]))).toBe(2_000);

    const other = new LoginThrottle(now);
    for (let i = 0; i < 5; i++) fail(other, 1, [`email:user${i}@example.com`, IP]);
    expect(waitOf(other.begin(["email:someone@example.com", IP]))).toBe(2_000);
    expect(waitOf(other.begin(["email:someone@example.com", "ip:203.0.113.1"]))).toBe(0);
  });

  it("a success clears the email's failures but not the address's", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 5);
    waitOf(throttle.begin(keys));
    throttle.finish(keys, "success", [EMAIL]);
    expect(waitOf(throttle.begin([EMAIL, "ip:203.0.113.1"]))).toBe(0);
    expect(waitOf(throttle.begin(["email:bob@example.com", IP]))).toBeGreaterThan(0);
  });

  it("queues parallel attempts one after the other and refuses, unchecked, what would queue over 20 s", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    // A burst that arrives before any result is known: in-flight attempts count as failures.
    const admissions = Array.from({ length: 30 }, () => throttle.begin(keys));
    const waits = admissions.filter((admission) => !("refused" in admission)).map(waitOf);
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // Each admitted throttled attempt starts after the previous one's slot.
    for (let i = 6; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(20_000);
    expect(admissions.filter((admission) => "refused" in admission).length).toBeGreaterThan(20);
  });

  it("an attempt whose check failed for another reason counts neither way", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 4);
    for (let i = 0; i < 3; i++) {
      waitOf(throttle.begin(keys));
      throttle.finish(keys, "unknown");
    }
    expect(waitOf(throttle.begin(keys))).toBe(0);
  });

  it("forgets failures 15 minutes after the first one", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 8);
    state.t += 15 * 60_000;
    expect(waitOf(throttle.begin(keys))).toBe(0);
  });
});
