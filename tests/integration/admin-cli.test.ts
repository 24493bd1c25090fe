import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import bcrypt from "bcryptjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { newId } from "../../lib/db/ids";
import { parseKey } from "../../lib/keys/format";
import { keyRecord, keyWithSecret, listKeysResponse } from "../../lib/keys/schemas";
import { issueKey, revokeKey } from "../../lib/keys/service";
import { expectOneLineError, expectSuccess, type Run } from "../helpers/cli-run";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 13: the admin CLI run as a person or a script would run it, as a separate
// process against a database of its own, judged only by exit code, stdout, stderr and the rows
// it leaves behind.

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const WHOLE_KEY = /kh_(?:live|test)_[0-9A-Za-z]{38}/g;
const SYSTEM: Actor = { type: "system", id: null };

function runCli(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Promise<Run> {
  const env: Record<string, string | undefined> = { ...process.env, DATABASE_URL: shared.database.url, KEYHOLD_DEBUG: undefined, ...options.env };
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, "scripts/admin.ts", ...args], { cwd: ROOT, env: env as NodeJS.ProcessEnv, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    // A CLI waiting for input that never comes would otherwise hang the suite.
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? "");
  });
}

// Node cannot open a pseudo-terminal without a native module, so a few lines of Python (its pty
// module) play the person at the keyboard; the test is skipped where there is no python3.
const HAS_PYTHON = spawnSync("python3", ["--version"]).status === 0;
const PTY_DRIVER = `
import os, pty, select, sys, time
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:-2])
out = b""
def read_until(token, timeout=90):
    global out
    end = time.time() + timeout
    while token not in out and time.time() < end:
        if select.select([fd], [], [], 0.2)[0]:
            try:
                out += os.read(fd, 4096)
            except OSError:
                return
read_until(b"Password for")
os.write(fd, sys.argv[-2].encode() + b"X\\x7f\\r")
read_until(b"Repeat it")
os.write(fd, sys.argv[-1].encode() + b"\\r")
read_until(b"\\x00never\\x00")
status = os.waitpid(pid, 0)[1]
sys.stdout.write(out.decode())
sys.exit(os.waitstatus_to_exitcode(status))
`;

function runOnTerminal(args: string[], first: string, second: string): Promise<Run> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, DATABASE_URL: shared.database.url };
    const child = spawn("python3", ["-c", PTY_DRIVER, process.execPath, TSX, "scripts/admin.ts", ...args, first, second], { cwd: ROOT, env });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function unique(label: string): string {
  return `${label}-${randomBytes(4).toString("hex")}`;
}

async function auditsFor(targetId: string) {
  return shared.db.auditLog.findMany({ where: { targetId }, orderBy: { id: "asc" } });
}

const shared = databaseForThisFile("keyhold_admin_cli", { poolSize: 4 });

beforeAll(async () => {
  await shared.db.scope.create({ data: { id: newId("scp"), name: "orders:read", description: "Read orders" } });
});

// Every case spawns the CLI (tsx, then Node, then Prisma) at least once, and the user cases pay
// for bcrypt at cost 12 as well: seconds each on a loaded machine, hence the generous timeout.
describe.concurrent("admin CLI with DATABASE_URL", { timeout: 180_000 }, () => {
  it("prints help with every command and exits 0", async () => {
    const run = await runCli(["help"]);
    expectSuccess(run);
    for (const command of ["create-key", "list-keys", "revoke-key", "create-user", "reset-password", "disable-user", "usage rebuild"]) {
      expect(run.stdout).toContain(command);
    }
    const commandHelp = await runCli(["create-key", "--help"]);
    expectSuccess(commandHelp);
    expect(commandHelp.stdout).toContain("--expires-in");
  });

  it("create-key --json prints the POST /api/v1/keys record once, and the stored hash is the key's SHA-256", async () => {
    const before = Date.now();
    const run = await runCli([
      "create-key",
      "--name",
      "CI deploy",
      "--owner",
      "acct_1",
      "--env",
      "test",
      "--scopes",
      "orders:read,keys:read",
      "--expires-in",
      "30d",
      "--ratelimit",
      "100/60s",
      "--remaining",
      "5",
      "--json",
    ]);
    expectSuccess(run);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    // Strict: parses only if the record carries exactly the API's fields, hash not among them.
    const created = keyWithSecret.parse(json);
    expect(json).not.toHaveProperty("hash");
    expect(run.stdout).not.toMatch(/[0-9a-f]{64}/);
    expect(parseKey(created.key)).toEqual({ environment: "test" });
    expect(created).toMatchObject({
      name: "CI deploy",
      ownerId: "acct_1",
      environment: "test",
      scopes: ["orders:read", "keys:read"],
      status: "active",
      ratelimit: { limit: 100, windowMs: 60_000 },
      remaining: 5,
      meta: {},
      start: created.key.slice(0, 12),
    });
    const expiresAt = Date.parse(created.expiresAt!);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 30 * 86_400_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 30 * 86_400_000);

    const row = await shared.db.apiKey.findUniqueOrThrow({ where: { id: created.id } });
    expect(row.hash).toBe(sha256(created.key));
    expect(row.createdById).toBeNull();
    const audits = await auditsFor(created.id);
    expect(audits).toHaveLength(1);
    expect(audits[0]).toMatchObject({ actorType: "cli", actorId: null, action: "key.create", targetType: "key" });
    expect(JSON.stringify(audits[0].data)).not.toContain(created.key);
  });

  it("create-key --refill and --allow-ip: the quota starts at the amount, addresses are normalised, the record has 19 fields", async () => {
    const run = await runCli([
      "create-key",
      "--name",
      "metered",
      "--refill",
      "1000/daily",
      "--allow-ip",
      "10.1.2.3/8, 2001:DB8::/32,::ffff:192.0.2.1",
      "--json",
    ]);
    expectSuccess(run);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    const created = keyWithSecret.parse(json);
    expect(Object.keys(json).filter((field) => field !== "key")).toHaveLength(19);
    expect(created).toMatchObject({ remaining: 1000, refill: { interval: "daily", amount: 1000 }, ipAllowlist: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.1"] });

    const text = await runCli(["create-key", "--name", "metered text", "--refill", "50/monthly", "--allow-ip", "203.0.113.0/24"]);
    expectSuccess(text);
    expect(text.stdout).toMatch(/quota 50; refills to 50 monthly, next at \d{4}-\d{2}-01 00:00 UTC; allowed from 203\.0\.113\.0\/24\)/);
  });

  it("create-key prints the key exactly once in plain text", async () => {
    const name = unique("text key");
    const run = await runCli(["create-key", "--name", name]);
    expectSuccess(run);
    const keys: string[] = run.stdout.match(WHOLE_KEY) ?? [];
    expect(keys).toHaveLength(1);
    const row = await shared.db.apiKey.findFirstOrThrow({ where: { name } });
    expect(row.hash).toBe(sha256(keys[0]));
    expect(run.stdout).toContain(row.id);
    expect(row.environment).toBe("live");
  });

  it("list-keys --json returns every page in the API's list shape, without secrets", async () => {
    const owner = unique("bulk-owner");
    await shared.db.apiKey.createMany({
      data: Array.from({ length: 101 }, (_, i) => ({
        id: newId("key"),
        name: `bulk ${i}`,
        start: "kh_live_bulk",
        hash: sha256(`${owner}-${i}`),
        ownerId: owner,
      })),
    });
    const run = await runCli(["list-keys", "--owner", owner, "--json"]);
    expectSuccess(run);
    const list = listKeysResponse.parse(JSON.parse(run.stdout));
    expect(list.data).toHaveLength(101);
    expect(list.nextCursor).toBeNull();
    expect(new Set(list.data.map((key) => key.id)).size).toBe(101);
    expect(run.stdout).not.toContain('"hash"');
    expect(run.stdout).not.toMatch(/[0-9a-f]{64}/);
  });

  it("list-keys filters by owner and status and prints a table", async () => {
    const owner = unique("owner");
    const active = await issueKey(shared.db, { name: "still active", ownerId: owner }, SYSTEM);
    const revoked = await issueKey(shared.db, { name: "gone", ownerId: owner }, SYSTEM);
    await revokeKey(shared.db, revoked.record.id, "test", SYSTEM);

    const run = await runCli(["list-keys", "--owner", owner, "--status", "revoked"]);
    expectSuccess(run);
    expect(run.stdout).toMatch(/^ID\s+START\s+NAME/);
    expect(run.stdout).toContain(revoked.record.id);
    expect(run.stdout).not.toContain(active.record.id);
    expect(run.stdout).toContain("1 key.");
    expect(run.stdout).not.toMatch(WHOLE_KEY);

    const none = await runCli(["list-keys", "--owner", unique("nobody")]);
    expectSuccess(none);
    expect(none.stdout.trim()).toBe("No keys.");
  });

  it("revoke-key by id revokes with a reason, audits as cli, and is not an error the second time", async () => {
    const { record } = await issueKey(shared.db, { name: unique("to revoke") }, SYSTEM);
    const run = await runCli(["revoke-key", record.id, "--reason", "leaked in a log", "--json"]);
    expectSuccess(run);
    const json = keyRecord.parse(JSON.parse(run.stdout));
    expect(json).toMatchObject({ id: record.id, status: "revoked", revokedReason: "leaked in a log" });
    expect((await shared.db.apiKey.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();

    const again = await runCli(["revoke-key", record.id]);
    expectSuccess(again);
    expect(again.stdout).toMatch(/revoked already/);
    const revokes = (await auditsFor(record.id)).filter((entry) => entry.action === "key.revoke");
    expect(revokes).toHaveLength(1);
    expect(revokes[0]).toMatchObject({ actorType: "cli", actorId: null, data: { reason: "leaked in a log" } });
  });

  it("revoke-key by start revokes the one key that is not revoked", async () => {
    const { record } = await issueKey(shared.db, { name: unique("by start") }, SYSTEM);
    const run = await runCli(["revoke-key", record.start]);
    expectSuccess(run);
    expect(run.stdout).toContain(`Revoked key ${record.id}`);
    expect((await shared.db.apiKey.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();
  });

  it("revoke-key with an ambiguous start lists the candidates and changes nothing", async () => {
    const start = `kh_test_${randomBytes(3).toString("base64url").replace(/[-_]/g, "x").slice(0, 4)}`;
    const first = await issueKey(shared.db, { name: "twin 1", environment: "test" }, SYSTEM);
    const second = await issueKey(shared.db, { name: "twin 2", environment: "test" }, SYSTEM);
    await shared.db.apiKey.updateMany({ where: { id: { in: [first.record.id, second.record.id] } }, data: { start } });

    const run = await runCli(["revoke-key", start]);
    expectOneLineError(run, 1, new RegExp(`${start} matches 2 keys`));
    expect(run.stderr).toContain(first.record.id);
    expect(run.stderr).toContain(second.record.id);
    const rows = await shared.db.apiKey.findMany({ where: { id: { in: [first.record.id, second.record.id] } } });
    expect(rows.every((row) => row.revokedAt === null)).toBe(true);

    // Revoked keys are no longer candidates: the start now names one key.
    await revokeKey(shared.db, first.record.id, null, SYSTEM);
    expectSuccess(await runCli(["revoke-key", start]));
    expect((await shared.db.apiKey.findUniqueOrThrow({ where: { id: second.record.id } })).revokedAt).not.toBeNull();
  });

  it("revoke-key accepts a whole leaked key and never echoes it", async () => {
    const { record, key } = await issueKey(shared.db, { name: unique("leaked") }, SYSTEM);
    const run = await runCli(["revoke-key", key]);
    expectSuccess(run);
    expect(run.stdout).not.toContain(key);
    expect((await shared.db.apiKey.findUniqueOrThrow({ where: { id: record.id } })).revokedAt).not.toBeNull();

    const wrong = `${key.slice(0, -1)}${key.endsWith("A") ? "B" : "A"}`;
    const miss = await runCli(["revoke-key", wrong]);
    expectOneLineError(miss, 1, /No key matches/);
    expect(miss.stderr).not.toContain(wrong);
  });

  it("revoke-key of an unknown id or start is a one-line user error", async () => {
    expectOneLineError(await runCli(["revoke-key", "key_0000000000000000000000"]), 1, /No key with this id/);
    expectOneLineError(await runCli(["revoke-key", "kh_live_0000"]), 1, /No key that is not revoked starts with kh_live_0000/);
    expectOneLineError(await runCli(["revoke-key", "something-else"]), 1, /key id \(key_\.\.\.\) or a key start/);
  });

  it.each([
    { label: "unknown command", args: ["frobnicate"], error: /Unknown command "frobnicate"/ },
    { label: "no command", args: [], error: /No command given/ },
    { label: "unknown flag", args: ["create-key", "--name", "never", "--colour", "red"], error: /create-key has no option --colour/ },
    { label: "flag without its value", args: ["create-key", "--name"], error: /--name needs a value/ },
    { label: "missing --name", args: ["create-key", "--env", "test"], error: /needs --name/ },
    { label: "bad --env", args: ["create-key", "--name", "never", "--env", "prod"], error: /--env must be live or test, not "prod"/ },
    { label: "bad --expires-in unit", args: ["create-key", "--name", "never", "--expires-in", "30days"], error: /--expires-in must be a duration like/ },
    { label: "zero --expires-in", args: ["create-key", "--name", "never", "--expires-in", "0d"], error: /--expires-in must be a duration like/ },
    { label: "bad --ratelimit shape", args: ["create-key", "--name", "never", "--ratelimit", "100"], error: /--ratelimit must be requests\/window/ },
    { label: "zero --ratelimit requests", args: ["create-key", "--name", "never", "--ratelimit", "0/60s"], error: /--ratelimit must be requests\/window/ },
    { label: "too long --ratelimit window", args: ["create-key", "--name", "never", "--ratelimit", "100/2d"], error: /--ratelimit window must be at most 1d/ },
    { label: "bad --remaining", args: ["create-key", "--name", "never", "--remaining", "lots"], error: /--remaining must be a whole number/ },
    { label: "malformed scope", args: ["create-key", "--name", "never", "--scopes", "Orders"], error: /--scopes: "Orders" is not a scope name/ },
    {
      label: "bad --refill interval",
      args: ["create-key", "--name", "never", "--refill", "1000/weekly"],
      error: /--refill must be amount\/daily or amount\/monthly/,
    },
    { label: "zero --refill", args: ["create-key", "--name", "never", "--refill", "0/daily"], error: /--refill must be amount\/daily/ },
    {
      label: "--allow-ip CIDR past 32 bits",
      args: ["create-key", "--name", "never", "--allow-ip", "10.0.0.1,10.0.0.0/33"],
      error: /--allow-ip "10.0.0.0\/33": must be an IPv4 or IPv6 address or CIDR range/,
    },
    {
      label: "--allow-ip hostname",
      args: ["create-key", "--name", "never", "--allow-ip", "db.example.com"],
      error: /--allow-ip "db.example.com": must be an IPv4/,
    },
    {
      label: "scope not in the catalogue",
      args: ["create-key", "--name", "never", "--scopes", "orders:read,billing:write"],
      error: /Unknown scope: billing:write/,
    },
    { label: "unexpected argument", args: ["create-key", "--name", "never", "extra"], error: /unexpected argument "extra"/ },
    { label: "bad --status", args: ["list-keys", "--status", "gone"], error: /--status must be active, expired or revoked/ },
    { label: "revoke-key without a target", args: ["revoke-key"], error: /revoke-key is missing an argument/ },
    { label: "create-user without --role", args: ["create-user", "someone@example.com"], error: /needs --role/ },
    { label: "bad --role", args: ["create-user", "someone@example.com", "--role", "ROOT"], error: /--role must be OWNER, ADMIN or VIEWER/ },
    { label: "bad email", args: ["create-user", "not-an-email", "--role", "VIEWER"], error: /"not-an-email" is not a valid email address/ },
    { label: "disable-user of an unknown email", args: ["disable-user", "nobody@example.com"], error: /No user with the email nobody@example.com/ },
    {
      label: "reset-password of an unknown email",
      args: ["reset-password", "nobody@example.com"],
      input: "a long enough password\n",
      error: /No user with the email/,
    },
  ])("exits 1 with one line: $label", async ({ args, input, error }) => {
    expectOneLineError(await runCli(args, { input }), 1, error);
    expect(await shared.db.apiKey.count({ where: { name: "never" } })).toBe(0);
    expect(await shared.db.user.count({ where: { email: "someone@example.com" } })).toBe(0);
  });

  // Section 15.2: the one usage command. Its cases share the database's usage tables, so they
  // run in one test, one after the other.
  it("usage rebuild recomputes the derived tables of whole days, audited, the same each time; bad ranges change nothing", async () => {
    const day = Date.now() - (Date.now() % 86_400_000) - 86_400_000;
    await shared.db.$executeRawUnsafe(
      `INSERT INTO usage_events (key_id, outcome, method, path, status, latency_ms, ip, at)
       SELECT 'key_cli_usage', CASE WHEN g % 4 = 0 THEN 'rate_limited' ELSE 'valid' END, 'GET', '/api/v1/things', 200, g, '192.0.2.9', $1::timestamptz + g * interval '1 minute'
       FROM generate_series(1, 90) AS g`,
      new Date(day).toISOString(),
    );
    const derived = () =>
      shared.db.$queryRawUnsafe<{ outcome: string; requests: number }[]>(
        `SELECT outcome, sum(requests)::int AS requests FROM usage_key_hours WHERE key_id = 'key_cli_usage' GROUP BY 1 ORDER BY 1`,
      );
    const audits = () => shared.db.auditLog.count({ where: { action: "usage.rebuilt" } });
    expect(await derived()).toEqual([]);

    const range = ["usage", "rebuild", "--from", new Date(day + 3_600_000).toISOString(), "--to", new Date(day + 7_200_000).toISOString()];
    const first = await runCli([...range, "--json"]);
    expectSuccess(first);
    const from = new Date(day).toISOString();
    const to = new Date(day + 86_400_000).toISOString();
    expect(JSON.parse(first.stdout)).toEqual({ from, to, events: 90 });
    const counts = [
      { outcome: "rate_limited", requests: 22 },
      { outcome: "valid", requests: 68 },
    ];
    expect(await derived()).toEqual(counts);
    const text = await runCli(range);
    expectSuccess(text);
    expect(text.stdout).toBe(`Rebuilt the usage tables from ${from} to ${to} out of 90 raw events.\n`);
    expect(await derived()).toEqual(counts);
    const entries = await shared.db.auditLog.findMany({ where: { action: "usage.rebuilt" }, orderBy: { id: "asc" } });
    expect(entries.map((entry) => [entry.actorType, entry.targetType, entry.data])).toEqual([
      ["cli", "usage", { from, to, events: 90 }],
      ["cli", "usage", { from, to, events: 90 }],
    ]);

    for (const [args, error] of [
      [["usage", "rebuild"], /usage rebuild needs --from/],
      [["usage", "rebuild", "--from", "yesterday"], /--from must be an ISO 8601 date/],
      [["usage", "rebuild", "--from", "2026-11-23", "--to", "2026-11-99"], /--to must be an ISO 8601 date/],
      [["usage", "rebuild", "--from", new Date(day).toISOString(), "--to", new Date(day - 1).toISOString()], /--from must be before --to/],
      [["usage", "rebuild", "--from", "2020-01-01"], /raw events are kept 7 days: --from must be on or after/],
      [["usage", "purge", "--from", "2026-11-23"], /usage has one subcommand, rebuild, not "purge"/],
    ] as const) {
      expectOneLineError(await runCli([...args]), 1, error);
    }
    expect(await derived()).toEqual(counts);
    expect(await audits()).toBe(2);
  });

  it("exits 1 on a configuration error and 2 on an unexpected failure, with a stack only under KEYHOLD_DEBUG=1", async () => {
    expectOneLineError(await runCli(["list-keys"], { env: { DATABASE_URL: "mysql://nope" } }), 1, /DATABASE_URL/);
    // Production's NEXTAUTH_SECRET rule is the server's: the CLI signs no sessions.
    const production = await runCli(["list-keys", "--owner", unique("nobody")], { env: { NODE_ENV: "production", NEXTAUTH_SECRET: undefined } });
    expectSuccess(production);

    const unreachable = "postgresql://postgres@127.0.0.1:1/nowhere";
    expectOneLineError(await runCli(["list-keys"], { env: { DATABASE_URL: unreachable } }), 2, /unexpected failure: .*ECONNREFUSED/);
    const debug = await runCli(["list-keys"], { env: { DATABASE_URL: unreachable, KEYHOLD_DEBUG: "1" } });
    expect(debug.code).toBe(2);
    expect(debug.stderr).toMatch(/\n\s+at /);
  });

  it("create-user reads the password from stdin, stores only a bcrypt hash and audits without secrets", async () => {
    const email = `${unique("alice")}@example.com`;
    const password = "correct horse battery staple";
    const run = await runCli(["create-user", `  ${email.toUpperCase()} `, "--role", "admin", "--name", "Alice", "--json"], {
      input: `${password}\n`,
    });
    expectSuccess(run);
    const json = JSON.parse(run.stdout) as Record<string, unknown>;
    expect(Object.keys(json).sort()).toEqual(["createdAt", "disabledAt", "email", "id", "name", "role"]);
    expect(json).toMatchObject({ email, name: "Alice", role: "ADMIN", disabledAt: null });

    const user = await shared.db.user.findUniqueOrThrow({ where: { email } });
    expect(bcrypt.getRounds(user.passwordHash)).toBe(12);
    expect(await bcrypt.compare(password, user.passwordHash)).toBe(true);
    const [audit] = await auditsFor(user.id);
    expect(audit).toMatchObject({ actorType: "cli", actorId: null, action: "user.create", targetType: "user" });
    expect(JSON.stringify(audit.data)).not.toContain(password);
    expect(JSON.stringify(audit.data)).not.toContain(user.passwordHash);

    const text = await runCli(["create-user", `${unique("bob")}@example.com`, "--role", "VIEWER"], { input: `${password}\n` });
    expectSuccess(text);
    expect(text.stdout).toMatch(/^Created user usr_\w+ bob-\w+@example\.com \("bob-\w+", VIEWER\)\.$/m);
  });

  it("create-user refuses a short password, a duplicate email and an empty stdin, each in one line", async () => {
    const email = `${unique("carol")}@example.com`;
    expectOneLineError(await runCli(["create-user", email, "--role", "VIEWER"], { input: "short\n" }), 1, /at least 12 characters/);
    expectOneLineError(await runCli(["create-user", email, "--role", "VIEWER"], { input: "" }), 1, /No password on stdin/);
    expect(await shared.db.user.count({ where: { email } })).toBe(0);

    expectSuccess(await runCli(["create-user", email, "--role", "VIEWER"], { input: "a long enough password\n" }));
    const duplicate = await runCli(["create-user", email.toUpperCase(), "--role", "ADMIN"], { input: "a long enough password\n" });
    expectOneLineError(duplicate, 1, /exists already/);
    expect((await shared.db.user.findUniqueOrThrow({ where: { email } })).role).toBe("VIEWER");
  });

  it.skipIf(!HAS_PYTHON)("create-user on a terminal asks twice with hidden input", async () => {
    const email = `${unique("erin")}@example.com`;
    const password = "typed where nobody can see";
    // The driver types each password with a stray X and a backspace, then Enter.
    const run = await runOnTerminal(["create-user", email, "--role", "VIEWER"], password, password);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain(`Password for ${email}: `);
    expect(run.stdout).toContain("Repeat it: ");
    expect(run.stdout).toContain(`Created user usr_`);
    expect(run.stdout).not.toContain("typed");
    const user = await shared.db.user.findUniqueOrThrow({ where: { email } });
    expect(await bcrypt.compare(password, user.passwordHash)).toBe(true);

    const other = `${unique("fay")}@example.com`;
    const mismatch = await runOnTerminal(["create-user", other, "--role", "VIEWER"], password, "something else entirely");
    expect(mismatch.code).toBe(1);
    expect(mismatch.stdout).toMatch(/error: The two passwords differ/);
    expect(await shared.db.user.count({ where: { email: other } })).toBe(0);
  });

  it("reset-password and disable-user change the user and audit as cli", async () => {
    const email = `${unique("dave")}@example.com`;
    expectSuccess(await runCli(["create-user", email, "--role", "VIEWER"], { input: "the first password\n" }));

    const reset = await runCli(["reset-password", email], { input: "the second password\r\n" });
    expectSuccess(reset);
    expect(reset.stdout).toContain(`Password reset for ${email}`);
    const user = await shared.db.user.findUniqueOrThrow({ where: { email } });
    expect(await bcrypt.compare("the second password", user.passwordHash)).toBe(true);
    expect(await bcrypt.compare("the first password", user.passwordHash)).toBe(false);
    expectOneLineError(await runCli(["reset-password", email], { input: "too short\n" }), 1, /at least 12 characters/);

    const disable = await runCli(["disable-user", email.toUpperCase(), "--json"]);
    expectSuccess(disable);
    expect(JSON.parse(disable.stdout)).toMatchObject({ email, disabledAt: expect.any(String) });
    const again = await runCli(["disable-user", email]);
    expectSuccess(again);
    expect(again.stdout).toMatch(/disabled already/);

    const audits = await auditsFor(user.id);
    expect(audits.map((entry) => entry.action)).toEqual(["user.create", "user.password_reset", "user.disable"]);
    expect(audits.every((entry) => entry.actorType === "cli" && entry.actorId === null)).toBe(true);
    const data = JSON.stringify(audits.map((entry) => entry.data));
    expect(data).not.toMatch(/password"|second password|\$2[aby]\$/);
  });
});

describe("admin CLI with the embedded database", () => {
  let dataDir: string;

  beforeAll(() => {
    dataDir = mkdtempSync(path.join(os.tmpdir(), "keyhold-admin-"));
  });

  afterAll(() => {
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("keeps keys across runs in KEYHOLD_DATA_DIR and refuses while another process holds the lock", { timeout: 240_000 }, async () => {
    const env = { DATABASE_URL: undefined, KEYHOLD_DATA_DIR: dataDir };
    const created = await runCli(["create-key", "--name", "embedded", "--json"], { env });
    expectSuccess(created);
    const { id, key } = keyWithSecret.parse(JSON.parse(created.stdout));
    expect(existsSync(path.join(dataDir, "pglite"))).toBe(true);
    // The lock is released on exit, so the server (or the next run) can open the database.
    expect(existsSync(path.join(dataDir, "keyhold.pid"))).toBe(false);

    const listed = await runCli(["list-keys", "--json"], { env });
    expectSuccess(listed);
    const list = listKeysResponse.parse(JSON.parse(listed.stdout));
    expect(list.data.map((record) => record.id)).toEqual([id]);
    expect(listed.stdout).not.toContain(key);

    // A live pid in the lock file stands for a running server.
    const lockFile = path.join(dataDir, "keyhold.pid");
    writeFileSync(lockFile, String(process.pid));
    try {
      const refused = await runCli(["list-keys"], { env });
      expectOneLineError(refused, 1, /in use by another Keyhold process.*stop it.*DATABASE_URL/);
      expect(readFileSync(lockFile, "utf8")).toBe(String(process.pid));
    } finally {
      rmSync(lockFile, { force: true });
    }
  });
});
