import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { setupOwnerAction } from "../../lib/actions/setup";
import type { Db } from "../../lib/db/client";
import { replaceProcessSingleton } from "../../lib/process/process-singleton";
import { announceSetup } from "../../lib/server/announce-setup";
import { databaseForThisFile } from "../helpers/migrated-database";

// Issue 13 item 4: whoever reached a fresh instance first became OWNER. Now /setup needs the
// token the server prints at start (DESIGN.md section 15.7); without it nothing is created.

const SECRET = "setup-token-test-secret-0123456789abcdef";
const shared = databaseForThisFile("keyhold_setup", { poolSize: 2 });

beforeAll(() => {
  process.env.NEXTAUTH_SECRET = SECRET;
  replaceProcessSingleton("keyholdDb", shared.db);
  replaceProcessSingleton("keyholdHasUsers", undefined);
});

afterAll(() => {
  replaceProcessSingleton("keyholdDb", undefined);
  replaceProcessSingleton("keyholdHasUsers", undefined);
});

const owner = { email: "owner@example.com", name: "Olive", password: "correct horse battery", confirm: "correct horse battery" };

async function printedToken(): Promise<string | null> {
  const lines: string[] = [];
  await announceSetup(shared.db, SECRET, "https://keys.example.com", (line) => lines.push(line));
  if (lines.length === 0) return null;
  expect(lines).toHaveLength(1);
  const match = /https:\/\/keys\.example\.com\/setup\?token=([A-Za-z0-9_-]+)$/.exec(lines[0]!);
  expect(match).not.toBeNull();
  return match![1]!;
}

describe("first-run setup", () => {
  it("refuses to create the OWNER without the printed token, or with a wrong one, and creates nothing", async () => {
    const token = (await printedToken())!;
    for (const input of [owner, { ...owner, token: "" }, { ...owner, token: "x".repeat(token.length) }, { ...owner, token: `${token}x` }]) {
      const result = await setupOwnerAction(input);
      expect(result.ok).toBe(false);
    }
    expect(await shared.db.user.count()).toBe(0);
    expect(await shared.db.auditLog.count()).toBe(0);
  });

  it("creates the OWNER with the printed token; then the token and the announcement are gone", async () => {
    const token = (await printedToken())!;
    expect(await setupOwnerAction({ ...owner, token })).toEqual({ ok: true, data: null });
    expect(await shared.db.user.findMany({ select: { email: true, role: true } })).toEqual([{ email: owner.email, role: "OWNER" }]);

    const again = await setupOwnerAction({ ...owner, email: "second@example.com", token });
    expect(again).toMatchObject({ ok: false, error: expect.stringMatching(/complete already/) });
    expect(await shared.db.user.count()).toBe(1);
    expect(await printedToken()).toBeNull();
  });
});

describe("first-run setup on another fresh instance", () => {
  const fresh = databaseForThisFile("keyhold_setup_b", { poolSize: 1 });

  it("prints a token that does not contain the secret and differs for another secret", async () => {
    replaceProcessSingleton("keyholdHasUsers", undefined);
    const a: string[] = [];
    const b: string[] = [];
    await announceSetup(fresh.db, SECRET, "http://localhost:3000", (line) => a.push(line));
    await announceSetup(fresh.db, `${SECRET}-other`, "http://localhost:3000", (line) => b.push(line));
    expect(a[0]).toMatch(/\/setup\?token=/);
    expect(a[0]).not.toContain(SECRET);
    expect(a[0]).not.toBe(b[0]);
  });
});
