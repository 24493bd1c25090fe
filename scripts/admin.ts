// `npm run admin -- <command>`: the admin CLI of DESIGN.md section 13, for self-hosters,
// automation and incident response when the dashboard is unreachable. It calls the same lib/
// services as the API and the dashboard, as actor `cli`, so every change is authorized and audited
// the same way. Exit codes: 0 success, 1 a user error (one line on stderr), 2 anything else.
import path from "node:path";
import { parseArgs } from "node:util";
import { ApiError } from "../lib/api/errors";
import type { Actor, Role } from "../lib/auth/actor";
import { createDb, type Db } from "../lib/db/client";
import type { EmbeddedDatabase } from "../lib/db/embedded";
import type { ApiKey } from "../lib/db/generated/client";
import { isId } from "../lib/db/ids";
import { migrate } from "../lib/db/migrate";
import { ConfigError, parseEnv } from "../lib/env";
import { KEY_PATTERN, parseKey } from "../lib/keys/format";
import { hashKey } from "../lib/keys/hash";
import { listKeys } from "../lib/keys/list-keys";
import { SCOPE_NAME_PATTERN } from "../lib/keys/management-scopes";
import { presentKey, type KeyStatus } from "../lib/keys/present-key";
import { createKeyRequest, keyRecord, keyWithSecret, listKeysResponse } from "../lib/keys/schemas";
import { issueKey, revokeKey } from "../lib/keys/service";
import { lockDataDir } from "../lib/server/data-dir";
import { debugHint, onInterrupt, runCommand, UsageError, write, type Failure } from "./cli/run-command";
import { checkPassword, createUser, disableUser, normalizeEmail, resetPassword, ROLES, type UserRecord } from "../lib/users/service";

const root = path.resolve(import.meta.dirname, "..");
const ACTOR: Actor = { type: "cli", id: null };

const USAGE = `Usage: npm run admin -- <command> [options]

Keys
  create-key --name N [--owner O] [--env live|test] [--scopes a,b] [--expires-in 30d]
             [--ratelimit 100/60s] [--remaining N] [--json]
      Issue a key and print it, the only time it is ever shown. Scopes other than keys:read,
      keys:write, keys:verify and usage:read must be in the scope catalogue.
  list-keys [--owner O] [--status active|expired|revoked] [--json]
  revoke-key <id|start> [--reason R] [--json]
      By id (key_...) or start (kh_live_a1B2, matching exactly one key that is not revoked).

Dashboard users
  create-user EMAIL --role OWNER|ADMIN|VIEWER [--name N] [--json]
  reset-password EMAIL [--json]
  disable-user EMAIL [--json]
      Passwords (at least 12 characters) are asked for with hidden input, or read from the
      first line of stdin when it is not a terminal.

  help

Durations: 90s, 15m, 12h, 30d. Rate limits: requests/window, e.g. 100/60s.
Database: DATABASE_URL when set, else the embedded database in \${KEYHOLD_DATA_DIR:-.data}/pglite,
which only one process may open: stop the server first.
Exit codes: 0 success, 1 user error, 2 anything else. With --json, run \`npm run --silent admin\`
so npm's banner stays out of stdout.`;

type Output = { json: unknown } | { text: string };

interface Task {
  run(db: Db): Promise<Output>;
}

type CommandParser = (argv: string[]) => Promise<Task | Output>;

const COMMANDS: Record<string, CommandParser> = {
  "create-key": parseCreateKey,
  "list-keys": parseListKeys,
  "revoke-key": parseRevokeKey,
  "create-user": parseCreateUser,
  "reset-password": parseResetPassword,
  "disable-user": parseDisableUser,
};

// ---- create-key ------------------------------------------------------------------------

async function parseCreateKey(argv: string[]): Promise<Task | Output> {
  const { values } = parseCommand("create-key", argv, 0, {
    name: { type: "string" },
    owner: { type: "string" },
    env: { type: "string" },
    scopes: { type: "string" },
    "expires-in": { type: "string" },
    ratelimit: { type: "string" },
    remaining: { type: "string" },
  });
  if (values.help) return { text: commandUsage("create-key") };
  if (values.name === undefined || values.name.trim() === "") throw new UsageError("create-key needs --name, e.g. --name \"Deploy bot\".");
  if (values.env !== undefined && values.env !== "live" && values.env !== "test") {
    throw new UsageError(`--env must be live or test, not ${quote(values.env)}.`);
  }
  const scopes = values.scopes === undefined ? [] : parseScopes(values.scopes);
  const expiresAt =
    values["expires-in"] === undefined ? null : new Date(Date.now() + parseDuration("--expires-in", values["expires-in"], MAX_EXPIRY_MS));
  const ratelimit = values.ratelimit === undefined ? null : parseRatelimit(values.ratelimit);
  const remaining = values.remaining === undefined ? null : parseCount("--remaining", values.remaining);

  // The same validation as POST /api/v1/keys, so the CLI cannot create a key the API would refuse.
  const body = createKeyRequest.safeParse({
    name: values.name,
    ownerId: values.owner ?? null,
    environment: values.env ?? "live",
    scopes,
    expiresAt: expiresAt?.toISOString() ?? null,
    ratelimit,
    remaining,
  });
  if (!body.success) {
    const issue = body.error.issues[0];
    throw new UsageError(`${FLAG_OF_FIELD[String(issue?.path[0])] ?? "input"}: ${issue?.message ?? "is not valid"}.`);
  }
  const input = body.data;
  return {
    async run(db) {
      const { record, key } = await issueKey(db, { ...input, expiresAt }, ACTOR);
      if (values.json) return { json: keyWithSecret.parse({ ...presentKey(record), key }) };
      const facts = [
        record.environment,
        `scopes: ${record.scopes.length ? record.scopes.join(", ") : "none"}`,
        record.ownerId ? `owner: ${record.ownerId}` : null,
        record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : "never expires",
        record.ratelimitLimit !== null ? `rate limit ${record.ratelimitLimit}/${formatMs(record.ratelimitWindowMs ?? 0)}` : null,
        record.remaining !== null ? `quota ${record.remaining}` : null,
      ].filter(Boolean);
      return {
        text: [
          `Created key ${record.id} "${clean(record.name)}" (${facts.join("; ")}).`,
          "",
          `    ${key}`,
          "",
          "This is the only time the key is shown: store it now. Keyhold keeps only its hash.",
        ].join("\n"),
      };
    },
  };
}

const FLAG_OF_FIELD: Record<string, string> = {
  name: "--name",
  ownerId: "--owner",
  environment: "--env",
  scopes: "--scopes",
  expiresAt: "--expires-in",
  ratelimit: "--ratelimit",
  remaining: "--remaining",
};

// Beyond this a date is more likely a typo (30000d for 30d) than an intent.
const MAX_EXPIRY_MS = 100 * 365 * 86_400_000;
const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

function parseDuration(flag: string, value: string, max: number): number {
  const match = /^([1-9]\d{0,9})(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 90s, 15m, 12h or 30d, not ${quote(value)}.`);
  const ms = Number(match[1]) * DURATION_UNITS[match[2]];
  if (ms > max) throw new UsageError(`${flag} must be at most ${formatMs(max)}, not ${quote(value)}.`);
  return ms;
}

function parseRatelimit(value: string): { limit: number; windowMs: number } {
  const match = /^([^/]+)\/([^/]+)$/.exec(value.trim());
  const limit = match ? Number(match[1]) : NaN;
  if (!match || !/^[1-9]\d*$/.test(match[1]) || limit > 1_000_000) {
    throw new UsageError(`--ratelimit must be requests/window with 1 to 1000000 requests, e.g. 100/60s, not ${quote(value)}.`);
  }
  const windowMs = parseDuration("--ratelimit window", match[2], 86_400_000);
  if (windowMs < 1_000) throw new UsageError(`--ratelimit window must be from 1s to 24h, not ${quote(match[2])}.`);
  return { limit, windowMs };
}

function parseCount(flag: string, value: string): number {
  if (!/^\d{1,10}$/.test(value.trim()) || Number(value) > 2_000_000_000) {
    throw new UsageError(`${flag} must be a whole number from 0 to 2000000000, not ${quote(value)}.`);
  }
  return Number(value);
}

function parseScopes(value: string): string[] {
  const scopes = value
    .split(",")
    .map((scope) => scope.trim())
    .filter(Boolean);
  const bad = scopes.find((scope) => !SCOPE_NAME_PATTERN.test(scope));
  if (bad !== undefined) {
    throw new UsageError(`--scopes: ${quote(bad)} is not a scope name; scopes look like resource:action, lowercase (orders:read).`);
  }
  return scopes;
}

// ---- list-keys -------------------------------------------------------------------------

const STATUSES: readonly KeyStatus[] = ["active", "expired", "revoked"];

async function parseListKeys(argv: string[]): Promise<Task | Output> {
  const { values } = parseCommand("list-keys", argv, 0, { owner: { type: "string" }, status: { type: "string" } });
  if (values.help) return { text: commandUsage("list-keys") };
  const status = values.status;
  if (status !== undefined && !STATUSES.includes(status as KeyStatus)) {
    throw new UsageError(`--status must be active, expired or revoked, not ${quote(status)}.`);
  }
  return {
    async run(db) {
      const records: ApiKey[] = [];
      let cursor: string | undefined;
      do {
        const page = await listKeys(db, { ownerId: values.owner, status: status as KeyStatus | undefined, cursor, limit: 100 });
        records.push(...page.data);
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      const now = Date.now();
      const data = records.map((record) => presentKey(record, now));
      // The API's list shape with every page in one: scripts parse both the same way.
      if (values.json) return { json: listKeysResponse.parse({ data, nextCursor: null }) };
      if (data.length === 0) return { text: "No keys." };
      const rows = data.map((key) => [
        key.id,
        key.start,
        key.name,
        key.environment,
        key.status,
        key.ownerId ?? "-",
        key.scopes.join(",") || "-",
        key.expiresAt ?? "never",
        key.createdAt,
      ]);
      const table = formatTable(["ID", "START", "NAME", "ENV", "STATUS", "OWNER", "SCOPES", "EXPIRES", "CREATED"], rows);
      return { text: `${table}\n${data.length} key${data.length === 1 ? "" : "s"}.` };
    },
  };
}

// ---- revoke-key ------------------------------------------------------------------------

const START_PATTERN = /^kh_(live|test)_[0-9A-Za-z]{4}$/;

async function parseRevokeKey(argv: string[]): Promise<Task | Output> {
  const { values, positionals } = parseCommand("revoke-key", argv, 1, { reason: { type: "string" } });
  if (values.help) return { text: commandUsage("revoke-key") };
  const target = positionals[0].trim();
  const reason = values.reason?.trim() || null;
  if (reason !== null && reason.length > 500) throw new UsageError("--reason must be at most 500 characters.");
  if (!isId("key", target) && !START_PATTERN.test(target) && !KEY_PATTERN.test(target)) {
    throw new UsageError("revoke-key needs a key id (key_...) or a key start such as kh_live_a1B2.");
  }
  return {
    async run(db) {
      const id = await resolveKeyId(db, target);
      const before = await db.apiKey.findUnique({ where: { id }, select: { revokedAt: true } });
      const record = await revokeKey(db, id, reason, ACTOR);
      if (values.json) return { json: keyRecord.parse(presentKey(record)) };
      if (before?.revokedAt) {
        return { text: `Key ${record.id} (${record.start}..., "${clean(record.name)}") was revoked already on ${before.revokedAt.toISOString()}; nothing changed.` };
      }
      return { text: `Revoked key ${record.id} (${record.start}..., "${clean(record.name)}").` };
    },
  };
}

async function resolveKeyId(db: Db, target: string): Promise<string> {
  if (isId("key", target)) return target;
  // A whole key, pasted during an incident: found by its hash, and never echoed back.
  if (KEY_PATTERN.test(target)) {
    const found = parseKey(target) ? await db.apiKey.findUnique({ where: { hash: hashKey(target) }, select: { id: true } }) : null;
    if (!found) throw new ApiError("not_found", "No key matches the key given (check it was copied whole).");
    return found.id;
  }
  const candidates = await db.apiKey.findMany({
    where: { start: target, revokedAt: null },
    select: { id: true },
    orderBy: { createdAt: "asc" },
    take: 20,
  });
  if (candidates.length === 0) throw new ApiError("not_found", `No key that is not revoked starts with ${target}.`);
  if (candidates.length > 1) {
    throw new UsageError(
      `${target} matches ${candidates.length} keys that are not revoked: ${candidates.map((key) => key.id).join(", ")}; revoke one by its id.`,
    );
  }
  return candidates[0].id;
}

// ---- users -----------------------------------------------------------------------------

async function parseCreateUser(argv: string[]): Promise<Task | Output> {
  const { values, positionals } = parseCommand("create-user", argv, 1, { role: { type: "string" }, name: { type: "string" } });
  if (values.help) return { text: commandUsage("create-user") };
  const email = userEmail(positionals[0]);
  if (values.role === undefined) throw new UsageError("create-user needs --role OWNER, ADMIN or VIEWER.");
  const role = values.role.toUpperCase() as Role;
  if (!ROLES.includes(role)) throw new UsageError(`--role must be OWNER, ADMIN or VIEWER, not ${quote(values.role)}.`);
  const password = await readNewPassword(`Password for ${email}`);
  return {
    async run(db) {
      const user = await createUser(db, { email, name: values.name ?? null, password, role }, ACTOR);
      if (values.json) return { json: userJson(user) };
      return { text: `Created user ${user.id} ${user.email} ("${clean(user.name)}", ${user.role}).` };
    },
  };
}

async function parseResetPassword(argv: string[]): Promise<Task | Output> {
  const { values, positionals } = parseCommand("reset-password", argv, 1, {});
  if (values.help) return { text: commandUsage("reset-password") };
  const email = userEmail(positionals[0]);
  const password = await readNewPassword(`New password for ${email}`);
  return {
    async run(db) {
      const user = await resetPassword(db, email, password, ACTOR);
      if (values.json) return { json: userJson(user) };
      return { text: `Password reset for ${user.email}.${user.disabledAt ? " The user is disabled, so it cannot sign in yet." : ""}` };
    },
  };
}

async function parseDisableUser(argv: string[]): Promise<Task | Output> {
  const { values, positionals } = parseCommand("disable-user", argv, 1, {});
  if (values.help) return { text: commandUsage("disable-user") };
  const email = userEmail(positionals[0]);
  return {
    async run(db) {
      const before = await db.user.findUnique({ where: { email }, select: { disabledAt: true } });
      const user = await disableUser(db, email, ACTOR);
      if (values.json) return { json: userJson(user) };
      if (before?.disabledAt) return { text: `${user.email} was disabled already on ${before.disabledAt.toISOString()}; nothing changed.` };
      return { text: `Disabled ${user.email}: it can no longer sign in.` };
    },
  };
}

function userEmail(value: string): string {
  try {
    return normalizeEmail(value);
  } catch {
    throw new UsageError(`${quote(value)} is not a valid email address.`);
  }
}

function userJson(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    disabledAt: user.disabledAt?.toISOString() ?? null,
  };
}

// Read before the database is opened, so the embedded database is not held while someone types.
async function readNewPassword(prompt: string): Promise<string> {
  if (!process.stdin.isTTY) {
    let text = "";
    for await (const chunk of process.stdin) {
      text += String(chunk);
      if (text.includes("\n") || text.length > 4096) break;
    }
    const line = text.split(/\r?\n/, 1)[0] ?? "";
    if (line === "") throw new UsageError("No password on stdin: give it as the first line of input.");
    checkPassword(line);
    return line;
  }
  const password = await readHidden(`${prompt}: `);
  // Checked before asking again, so a too-short password fails at once.
  checkPassword(password);
  if ((await readHidden("Repeat it: ")) !== password) throw new UsageError("The two passwords differ; nothing changed.");
  return password;
}

// Raw mode instead of readline, so no character is ever echoed to the terminal.
function readHidden(prompt: string): Promise<string> {
  const input = process.stdin;
  // Raw mode before the prompt: a reply typed the instant the prompt appears must not be echoed.
  input.setRawMode(true);
  process.stderr.write(prompt);
  return new Promise((resolve, reject) => {
    let value = "";
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.setRawMode(false);
      input.pause();
      process.stderr.write("\n");
      if (error) reject(error);
      else resolve(value);
    };
    const onData = (chunk: string) => {
      // Arrow and function keys arrive as one escape sequence per chunk: not part of a password.
      if (chunk.startsWith("\u001b")) return;
      for (const char of chunk) {
        if (char === "\r" || char === "\n") return finish();
        // Raw mode turns Ctrl-C and Ctrl-D into plain input, so they are handled here.
        if (char === "\u0003" || (char === "\u0004" && value === "")) return finish(new UsageError("Cancelled; nothing changed."));
        if (char === "\u007f" || char === "\b") value = [...value].slice(0, -1).join("");
        else if (char >= " ") value += char;
      }
    };
    input.setEncoding("utf8");
    input.on("data", onData);
    input.resume();
  });
}

// ---- arguments and output --------------------------------------------------------------

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

function parseCommand<O extends OptionSpec>(command: string, argv: string[], positionalCount: number, options: O) {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { ...options, json: { type: "boolean" }, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UsageError(argumentError(command, error));
  }
  const values = parsed.values as { [K in keyof O]?: O[K]["type"] extends "boolean" ? boolean : string } & { json?: boolean; help?: boolean };
  const positionals = parsed.positionals;
  if (!values.help && positionals.length !== positionalCount) {
    const usage = USAGE_LINES[command];
    if (positionals.length > positionalCount) {
      throw new UsageError(`${command} got an unexpected argument ${quote(positionals[positionalCount])}; usage: ${usage}`);
    }
    throw new UsageError(`${command} is missing an argument; usage: ${usage}`);
  }
  return { values, positionals };
}

// parseArgs's messages run to several sentences; one short line is the contract.
function argumentError(command: string, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    return `${command} has no option ${option}; usage: ${USAGE_LINES[command]}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /argument missing|ambiguous/.test(message)
      ? `${option} needs a value (write ${option}=VALUE for one that starts with -).`
      : `${option} takes no value.`;
  }
  return `${command}: ${message.split(/(?<=\.)\s/)[0]}`;
}

const USAGE_LINES: Record<string, string> = {
  "create-key":
    "create-key --name N [--owner O] [--env live|test] [--scopes a,b] [--expires-in 30d] [--ratelimit 100/60s] [--remaining N] [--json]",
  "list-keys": "list-keys [--owner O] [--status active|expired|revoked] [--json]",
  "revoke-key": "revoke-key <id|start> [--reason R] [--json]",
  "create-user": "create-user EMAIL --role OWNER|ADMIN|VIEWER [--name N] [--json]",
  "reset-password": "reset-password EMAIL [--json]",
  "disable-user": "disable-user EMAIL [--json]",
};

function commandUsage(command: string): string {
  return `Usage: npm run admin -- ${USAGE_LINES[command]}\nRun \`npm run admin -- help\` for all commands.`;
}

function formatMs(ms: number): string {
  for (const [unit, size] of [["d", 86_400_000], ["h", 3_600_000], ["m", 60_000], ["s", 1_000]] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function formatTable(header: string[], rows: string[][]): string {
  const cells = [header, ...rows.map((row) => row.map(clean))];
  const widths = header.map((_, column) => Math.max(...cells.map((row) => row[column].length)));
  return cells.map((row) => row.map((cell, column) => cell.padEnd(widths[column])).join("  ").trimEnd()).join("\n");
}

// Names come from API callers: control characters in them must not drive the admin's terminal.
function clean(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?");
}

function quote(value: string): string {
  return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}...` : value);
}

// A safety net for every message that leaves: whatever the path, a whole key never gets printed
// except in the create output. The start (first 12 characters) is not secret.
function redactKeys(text: string): string {
  return text.replace(/(kh_(?:live|test)_[0-9A-Za-z]{4})[0-9A-Za-z]{8,}/g, "$1...[redacted]");
}

// ---- database and main -----------------------------------------------------------------

interface OpenDatabase {
  db: Db;
  close(): Promise<void>;
}

async function openDatabase(databaseUrl: string | undefined, dataDirSetting: string): Promise<OpenDatabase> {
  const migrations = path.join(root, "prisma", "migrations");
  if (databaseUrl) {
    await migrate(databaseUrl, migrations);
    const db = createDb(databaseUrl, 2);
    return { db, close: () => db.$disconnect() };
  }
  // Resolved like the launcher does (scripts/start.ts), so both find the same folder.
  const dataDir = path.resolve(root, dataDirSetting);
  let unlock: () => void;
  try {
    unlock = lockDataDir(dataDir);
  } catch (error) {
    // The server holds the embedded database; PGlite would be corrupted by a second process.
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  let embedded: EmbeddedDatabase | undefined;
  try {
    // Loaded only here: PGlite is the heaviest import, and most runs use DATABASE_URL.
    const { startEmbeddedDatabase } = await import("../lib/db/embedded");
    embeddedOpen = true;
    embedded = await startEmbeddedDatabase({ dataDir: path.join(dataDir, "pglite") });
    await migrate(embedded.url, migrations);
    const db = createDb(embedded.url, 2);
    const running = embedded;
    return {
      db,
      async close() {
        await db.$disconnect().catch(() => undefined);
        await running.stop();
        unlock();
        embeddedOpen = false;
      },
    };
  } catch (error) {
    await embedded?.stop().catch(() => undefined);
    unlock();
    embeddedOpen = false;
    throw error;
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined) throw new UsageError("No command given; run `npm run admin -- help` for the commands.");
  if (command === "help" || command === "--help" || command === "-h") {
    await write(process.stdout, USAGE);
    return 0;
  }
  const parse = Object.hasOwn(COMMANDS, command) ? COMMANDS[command] : undefined;
  if (!parse) throw new UsageError(`Unknown command ${quote(command)}; run \`npm run admin -- help\` for the commands.`);
  // Without NODE_ENV: its production rule demands NEXTAUTH_SECRET, which only the server needs
  // (it signs sessions); the CLI must work on a production host where only the server has it.
  const config = parseEnv({ ...process.env, NODE_ENV: undefined });
  const planned = await parse(rest);
  if (!("run" in planned)) {
    await emit(planned);
    return 0;
  }
  const database = await openDatabase(config.DATABASE_URL, config.KEYHOLD_DATA_DIR);
  let output: Output;
  try {
    output = await planned.run(database.db);
  } finally {
    await database.close();
  }
  await emit(output);
  return 0;
}

async function emit(output: Output): Promise<void> {
  await write(process.stdout, "json" in output ? JSON.stringify(output.json, null, 2) : output.text);
}

function describeFailure(error: unknown): Failure {
  if (error instanceof UsageError || error instanceof ConfigError) return { code: 1, message: error.message };
  if (error instanceof ApiError && error.status < 500) return { code: 1, message: error.message };
  if (!(error instanceof Error)) return { code: 2, message: `unexpected failure: ${String(error)}` };
  // Prisma puts the call site first and the cause last; anything else leads with its cause.
  const lines = error.message.split("\n").map((line) => line.trim()).filter(Boolean);
  const cause = (error.name.startsWith("PrismaClient") ? lines.at(-1) : lines[0]) ?? error.name;
  return { code: 2, message: `unexpected failure: ${error.name}: ${cause.slice(0, 300)}${debugHint()}` };
}

// Stopping PGlite midway through a write could damage the embedded database, so while it is
// open the first Ctrl-C lets the current step finish; a second one, or any before, exits at once.
let embeddedOpen = false;
onInterrupt(
  () => embeddedOpen,
  () => "Interrupted: finishing the current step to keep the embedded database intact (again to force).",
);
await runCommand(main, (error) => {
  const failure = describeFailure(error);
  return { ...failure, message: redactKeys(failure.message) };
});
