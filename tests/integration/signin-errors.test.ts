import { afterEach, describe, expect, it, vi } from "vitest";

import { authOptions } from "../../lib/auth/options";
import { SIGNIN_UNAVAILABLE } from "../../lib/auth/signin-errors";
import { createDb, type Db } from "../../lib/db/client";
import { existingProcessSingleton, replaceProcessSingleton } from "../../lib/process/process-singleton";

// Issue 13 item 9: next-auth puts the message of an error thrown in authorize into the sign-in
// URL, so a database failure showed the driver's own words (hosts, ports, user names) in the
// browser's address bar. authorize answers one fixed word instead.

type Authorize = (credentials: Record<string, string>, request: { headers: Record<string, string> }) => Promise<unknown>;
const authorize = (authOptions.providers[0] as unknown as { options: { authorize: Authorize } }).options.authorize;

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sign-in when the database fails", () => {
  it("throws only the fixed SigninUnavailable word, and logs no driver message", async () => {
    const saved = existingProcessSingleton<Db>("keyholdDb");
    const unreachable = createDb("postgresql://keyhold_secret_user@127.0.0.1:1/keyhold");
    replaceProcessSingleton("keyholdDb", unreachable);
    const logged = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const caught = await authorize({ email: "owner@example.com", password: "whatever password" }, { headers: {} }).then(
        () => null,
        (error: unknown) => error,
      );
      expect(caught).toBeInstanceOf(Error);
      expect((caught as Error).message).toBe(SIGNIN_UNAVAILABLE);
      expect(logged.mock.calls.flat().join(" ")).not.toMatch(/127\.0\.0\.1|keyhold_secret_user|ECONNREFUSED/);
    } finally {
      replaceProcessSingleton("keyholdDb", saved);
      await unreachable.$disconnect();
    }
  });
});
