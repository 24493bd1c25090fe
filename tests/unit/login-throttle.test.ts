import { describe, expect, it } from "vitest";

import { LoginThrottle, type Admission, type Attempt } from "../../lib/ratelimit/login-throttle";

// Sign-in throttling (lib/ratelimit/login-throttle.ts, DESIGN.md section 15.7): per (email, address)
// five free failures, then each attempt waits 2 s, 4 s, 8 s, then 10 s; parallel attempts queue;
// a queue longer than 20 s is refused unchecked. An address gets 20 free failures across emails.
// Failures on an email from other addresses only slow its sign-in, never refuse it.

const ALICE = "alice@example.com";
const ATTACKER = "198.51.100.7";
const OWNER = "203.0.113.5";
const attacker: Attempt = { email: ALICE, address: ATTACKER };
const owner: Attempt = { email: ALICE, address: OWNER };

function clock(start = 1_700_000_000_000) {
  const state = { t: start };
  return { state, now: () => state.t };
}

function waitOf(admission: Admission): number {
  if ("refused" in admission) throw new Error("refused");
  return admission.wait;
}

function fail(throttle: LoginThrottle, times: number, attempt: Attempt = attacker) {
  for (let i = 0; i < times; i++) {
    waitOf(throttle.begin(attempt));
    throttle.finish(attempt, "failure");
  }
}

describe("LoginThrottle", () => {
  it("lets the first five failures through without waiting, then waits 2 s, 4 s, 8 s, then 10 s", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 5; i++) {
      expect(waitOf(throttle.begin(attacker))).toBe(0);
      throttle.finish(attacker, "failure");
    }
    const waits: number[] = [];
    for (let i = 0; i < 7; i++) {
      const wait = waitOf(throttle.begin(attacker));
      waits.push(wait);
      state.t += wait + 300;
      throttle.finish(attacker, "failure");
    }
    expect(waits).toEqual([2_000, 4_000, 8_000, 10_000, 10_000, 10_000, 10_000]);
  });

  it("slows an attempt even when the user paused before retrying", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 5);
    state.t += 30_000;
    expect(waitOf(throttle.begin(attacker))).toBe(2_000);
  });

  it("never refuses the owner's sign-in from an address that did not fail while someone else keeps failing on the email", () => {
    // Issue 13 item 3: a few wrong passwords, then one every 2 s, locked the owner out for as
    // long as it went on.
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 5);
    for (let second = 0; second < 600; second += 2) {
      const admission = throttle.begin(attacker);
      if (!("refused" in admission)) throttle.finish(attacker, "failure");
      if (second % 60 === 0) {
        const mine = throttle.begin(owner);
        expect(mine).not.toHaveProperty("refused");
        expect(waitOf(mine)).toBeLessThanOrEqual(10_000);
        throttle.finish(owner, "unknown");
      }
      state.t += 2_000;
    }
    // Its own right password goes through and clears the email's pressure.
    waitOf(throttle.begin(owner));
    throttle.finish(owner, "success");
    expect(waitOf(throttle.begin(owner))).toBe(0);
  });

  it("lets failures on an email from many addresses slow it, but never refuse it or queue it", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 200; i++) fail(throttle, 1, { email: ALICE, address: `192.0.2.${i % 250}` });
    const admissions = Array.from({ length: 10 }, (_, i) => throttle.begin({ email: ALICE, address: `203.0.113.${i}` }));
    for (const admission of admissions) expect(waitOf(admission)).toBeLessThanOrEqual(10_000);
    expect(waitOf(throttle.begin({ email: "bob@example.com", address: OWNER }))).toBe(0);
  });

  it("slows an address guessing at many emails after 20 failures, and only that address", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 20; i++) fail(throttle, 1, { email: `user${i}@example.com`, address: ATTACKER });
    expect(waitOf(throttle.begin({ email: "someone@example.com", address: ATTACKER }))).toBe(2_000);
    expect(waitOf(throttle.begin({ email: "someone@example.com", address: OWNER }))).toBe(0);
  });

  it("a success clears the email's failures but not the address's", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    for (let i = 0; i < 15; i++) fail(throttle, 1, { email: `user${i}@example.com`, address: ATTACKER });
    fail(throttle, 5);
    waitOf(throttle.begin(attacker));
    throttle.finish(attacker, "success");
    expect(waitOf(throttle.begin(owner))).toBe(0);
    expect(waitOf(throttle.begin({ email: "bob@example.com", address: ATTACKER }))).toBeGreaterThan(0);
  });

  it("queues parallel attempts from one address one after the other and refuses, unchecked, what would queue over 20 s", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    // A burst that arrives before any result is known: in-flight attempts count as failures.
    const admissions = Array.from({ length: 30 }, () => throttle.begin(attacker));
    const waits = admissions.filter((admission) => !("refused" in admission)).map(waitOf);
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // Each admitted throttled attempt starts after the previous one's slot.
    for (let i = 6; i < waits.length; i++) expect(waits[i]).toBeGreaterThan(waits[i - 1]!);
    expect(Math.max(...waits)).toBeLessThanOrEqual(20_000);
    expect(admissions.filter((admission) => "refused" in admission).length).toBeGreaterThan(20);
    // The burst refuses nobody else on the email.
    expect(throttle.begin(owner)).not.toHaveProperty("refused");
  });

  it("an attempt whose check failed for another reason counts neither way", () => {
    const { now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 4);
    for (let i = 0; i < 3; i++) {
      waitOf(throttle.begin(attacker));
      throttle.finish(attacker, "unknown");
    }
    expect(waitOf(throttle.begin(attacker))).toBe(0);
  });

  it("forgets failures 15 minutes after the first one", () => {
    const { state, now } = clock();
    const throttle = new LoginThrottle(now);
    fail(throttle, 8);
    state.t += 15 * 60_000;
    expect(waitOf(throttle.begin(attacker))).toBe(0);
  });
});
