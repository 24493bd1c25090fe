// `npm run admin -- <command>`: the admin CLI of DESIGN.md section 13, for self-hosters,
// automation and incident response when the dashboard is unreachable. It calls the same lib/
// services as the API and the dashboard, as actor `cli`, so every change is authorized and audited
// the same way. Exit codes: 0 success, 1 a user error (one line on stderr), 2 anything else.
// This file only dispatches: each command lives in scripts/admin/<command>.ts.
import { ConfigError, parseEnv } from "../lib/env";
import { ApiError } from "../lib/errors/api-error";
import { redactKeys } from "../lib/keys/format";
import type { Command, Output } from "./admin/command";
import { createKeyCommand } from "./admin/create-key";
import { createUserCommand } from "./admin/create-user";
import { createWebhookCommand } from "./admin/create-webhook";
import { deleteWebhookCommand } from "./admin/delete-webhook";
import { disableUserCommand } from "./admin/disable-user";
import { listDeliveriesCommand } from "./admin/list-deliveries";
import { listKeysCommand } from "./admin/list-keys";
import { listWebhooksCommand } from "./admin/list-webhooks";
import { isEmbeddedOpen, openDatabase } from "./admin/open-database";
import { resetPasswordCommand } from "./admin/reset-password";
import { retryDeliveryCommand } from "./admin/retry-delivery";
import { revokeKeyCommand } from "./admin/revoke-key";
import { rollWebhookSecretCommand } from "./admin/roll-webhook-secret";
import { quote } from "./admin/text";
import { updateWebhookCommand } from "./admin/update-webhook";
import { usageRebuildCommand } from "./admin/usage-rebuild";
import { debugHint, onInterrupt, runCommand, UsageError, write, type Failure } from "./cli/run-command";

const USAGE = `Usage: npm run admin -- <command> [options]

Keys
  create-key --name N [--owner O] [--env live|test] [--scopes a,b] [--expires-in 30d]
             [--ratelimit 100/60s] [--remaining N] [--json]
      Issue a key and print it, the only time it is ever shown. Scopes other than the management
      scopes (keys:read, keys:write, keys:verify, usage:read, webhooks:write, audit:read) must be
      in the scope catalogue.
  list-keys [--owner O] [--status active|expired|revoked] [--json]
  revoke-key <id|start> [--reason R] [--json]
      By id (key_...) or start (kh_live_a1B2, matching exactly one key that is not revoked).

Webhooks
  create-webhook --url URL --events all|a,b [--description D] [--json]
      Prints the signing secret once. Needs the server's NEXTAUTH_SECRET (read from the data
      folder with the embedded database).
  list-webhooks [--json]
  update-webhook <id> [--url URL] [--events all|a,b] [--description D] [--enable|--disable] [--json]
  roll-webhook-secret <id> [--json]
  delete-webhook <id> [--json]
  list-deliveries <webhook id> [--json]
  retry-delivery <webhook id> <delivery id> [--json]

Dashboard users
  create-user EMAIL --role OWNER|ADMIN|VIEWER [--name N] [--json]
  reset-password EMAIL [--json]
  disable-user EMAIL [--json]
      Passwords (at least 12 characters) are asked for with hidden input, or read from the
      first line of stdin when it is not a terminal.

Usage analytics
  usage rebuild --from ISO [--to ISO] [--json]
      Recompute the usage charts and totals of whole UTC days from the raw events (after a
      restore or a bulk import). Safe to repeat; --to defaults to now.

  help

Durations: 90s, 15m, 12h, 30d. Rate limits: requests/window, e.g. 100/60s.
Database: DATABASE_URL when set, else the embedded database in \${KEYHOLD_DATA_DIR:-.data}/pglite,
which only one process may open: stop the server first.
Exit codes: 0 success, 1 user error, 2 anything else. With --json, run \`npm run --silent admin\`
so npm's banner stays out of stdout.`;

const COMMANDS: Command[] = [
  createKeyCommand,
  listKeysCommand,
  revokeKeyCommand,
  createUserCommand,
  resetPasswordCommand,
  disableUserCommand,
  createWebhookCommand,
  listWebhooksCommand,
  updateWebhookCommand,
  rollWebhookSecretCommand,
  deleteWebhookCommand,
  listDeliveriesCommand,
  retryDeliveryCommand,
  usageRebuildCommand,
];

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError("No command given; run `npm run admin -- help` for the commands.");
  if (name === "help" || name === "--help" || name === "-h") {
    await write(process.stdout, USAGE);
    return 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`Unknown command ${quote(name)}; run \`npm run admin -- help\` for the commands.`);
  // Without NODE_ENV: its production rule demands NEXTAUTH_SECRET, which only the server needs
  // (it signs sessions); the CLI must work on a production host where only the server has it.
  const config = parseEnv({ ...process.env, NODE_ENV: undefined });
  const planned = await command.parse(rest);
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
  const lines = error.message
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
  const cause = (error.name.startsWith("PrismaClient") ? lines.at(-1) : lines[0]) ?? error.name;
  return { code: 2, message: `unexpected failure: ${error.name}: ${cause.slice(0, 300)}${debugHint()}` };
}

// Stopping PGlite midway through a write could damage the embedded database, so while it is
// open the first Ctrl-C lets the current step finish; a second one, or any before, exits at once.
onInterrupt(isEmbeddedOpen, () => "Interrupted: finishing the current step to keep the embedded database intact (again to force).");
// A safety net for every message that leaves: whatever the path, a key never gets printed except
// in the create output.
await runCommand(main, (error) => {
  const failure = describeFailure(error);
  return { ...failure, message: redactKeys(failure.message) };
});
