import { threadId } from "node:worker_threads";

import bcrypt from "bcryptjs";
import { describe, expect, it } from "vitest";

import { PasswordHasher, PasswordHasherBusyError } from "../../lib/crypto/password-hasher";

// DESIGN.md section 15.7 and issue 13 item 7: password hashing has a concurrency cap and never
// blocks key verification. bcryptjs computed on the main thread, between every other request's
// callbacks; the pool runs it on worker threads, a bounded number at once.

describe("PasswordHasher", () => {
  it("hashes and compares exactly as bcryptjs does", async () => {
    const hasher = new PasswordHasher();
    const hash = await hasher.hash("correct horse battery staple", 4);
    expect(bcrypt.compareSync("correct horse battery staple", hash)).toBe(true);
    expect(await hasher.compare("correct horse battery staple", hash)).toBe(true);
    expect(await hasher.compare("wrong", hash)).toBe(false);
    expect(await hasher.compare("made elsewhere", bcrypt.hashSync("made elsewhere", 4))).toBe(true);
  });

  it("never computes on the calling thread", async () => {
    const hasher = new PasswordHasher();
    await Promise.all([hasher.hash("a password", 4), hasher.compare("x", bcrypt.hashSync("y", 4))]);
    expect(hasher.stats.threads.size).toBeGreaterThan(0);
    expect(hasher.stats.threads.has(threadId)).toBe(false);
  });

  it("runs at most its pool size at once, and finishes every job", async () => {
    const hasher = new PasswordHasher(2);
    const hashes = await Promise.all(Array.from({ length: 7 }, (_, i) => hasher.hash(`password ${i}`, 4)));
    expect(hasher.stats.maxRunning).toBe(2);
    for (const [i, hash] of hashes.entries()) expect(bcrypt.compareSync(`password ${i}`, hash)).toBe(true);
  });

  it("refuses work past its queue instead of piling it up, and recovers", async () => {
    const hasher = new PasswordHasher(1, 2);
    const results = await Promise.allSettled(Array.from({ length: 6 }, () => hasher.hash("a password", 4)));
    const refused = results.filter((result) => result.status === "rejected");
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(PasswordHasherBusyError);
    expect(await hasher.compare("a password", await hasher.hash("a password", 4))).toBe(true);
  });

  it("answers a failure of bcrypt itself as an error, and keeps working", async () => {
    const hasher = new PasswordHasher();
    await expect(hasher.hash(123 as unknown as string, 4)).rejects.toThrow(/password hashing failed/);
    expect(await hasher.compare("a password", await hasher.hash("a password", 4))).toBe(true);
  });
});
