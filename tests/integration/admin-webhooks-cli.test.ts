import { spawn } from "node:child_process";
import path from "node:path";

import { describe, expect, it } from "vitest";

import { webhookEndpoint, webhookWithSecret } from "../../lib/webhooks/schemas";
import { expectOneLineError, expectSuccess, type Run } from "../helpers/cli-run";
import { databaseForThisFile } from "../helpers/migrated-database";

// The admin CLI's webhook commands (DESIGN.md sections 13 and 15.5), run as separate processes:
// the secret is printed once and stored only sealed, changes are audited as `cli`, and bad
// input is one line with exit code 1 and nothing changed.

const ROOT = path.resolve(import.meta.dirname, "../..");
const TSX = path.join(ROOT, "node_modules", "tsx", "dist", "cli.mjs");
const SECRET = "cli-webhook-secret-cli-webhook-secret-cli";

const shared = databaseForThisFile("keyhold_admin_webhooks");

function runCli(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: shared.database.url,
    NEXTAUTH_SECRET: SECRET,
    KEYHOLD_WEBHOOK_ALLOW_PRIVATE: undefined,
    ...env,
  };
  for (const name of Object.keys(merged)) if (merged[name] === undefined) delete merged[name];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TSX, "scripts/admin.ts", ...args], {
      cwd: ROOT,
      env: merged as NodeJS.ProcessEnv,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (stderr += chunk));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

async function nothingChanged(): Promise<void> {
  expect(await shared.db.webhookEndpoint.count()).toBe(1);
  expect(await shared.db.auditLog.count({ where: { action: { startsWith: "webhook." } } })).toBe(3);
}

describe("admin CLI webhooks", () => {
  let id = "";

  it("create-webhook prints the secret once and stores it only sealed; list, disable, roll follow", async () => {
    const created = await runCli(["create-webhook", "--url", "https://93.184.215.14/hooks", "--events", "key.created,key.revoked", "--json"]);
    expectSuccess(created);
    const endpoint = webhookWithSecret.parse(JSON.parse(created.stdout));
    id = endpoint.id;
    expect(endpoint).toMatchObject({ url: "https://93.184.215.14/hooks", events: ["key.created", "key.revoked"], enabled: true });
    expect(endpoint.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const stored = await shared.db.webhookEndpoint.findUniqueOrThrow({ where: { id } });
    expect(stored.secretEncrypted).not.toContain(endpoint.secret.slice(6, 30));

    const listed = await runCli(["list-webhooks"]);
    expectSuccess(listed);
    expect(listed.stdout).toContain(id);
    expect(listed.stdout).not.toContain("whsec_");

    const disabled = await runCli(["update-webhook", id, "--disable", "--json"]);
    expectSuccess(disabled);
    expect(webhookEndpoint.parse(JSON.parse(disabled.stdout))).toMatchObject({ enabled: false, disabledReason: "Disabled by a person." });

    const rolled = await runCli(["roll-webhook-secret", id]);
    expectSuccess(rolled);
    expect(rolled.stdout).toMatch(/whsec_[A-Za-z0-9+/]{43}=/);
    expect(rolled.stdout).not.toContain(endpoint.secret);

    const audit = await shared.db.auditLog.findMany({ where: { targetId: id }, orderBy: { id: "asc" } });
    expect(audit.map((entry) => [entry.actorType, entry.action])).toEqual([
      ["cli", "webhook.create"],
      ["cli", "webhook.update"],
      ["cli", "webhook.roll_secret"],
    ]);
    expect(JSON.stringify(audit.map((entry) => entry.data))).not.toContain("whsec_");
  });

  it("refuses an http URL, a private address and an unknown event in one line, changing nothing", async () => {
    expectOneLineError(await runCli(["create-webhook", "--url", "http://example.com/x", "--events", "all"]), 1, /url.*https/);
    expectOneLineError(await runCli(["create-webhook", "--url", "https://169.254.169.254/x", "--events", "all"]), 1, /url.*link-local/);
    expectOneLineError(await runCli(["create-webhook", "--url", "https://93.184.215.14/x", "--events", "key.exploded"]), 1, /--events.*key\.exploded/);
    expectOneLineError(await runCli(["update-webhook", id, "--enable", "--disable"]), 1, /cannot go together/);
    await nothingChanged();
  });

  it("refuses to seal secrets without the server's NEXTAUTH_SECRET", async () => {
    expectOneLineError(
      await runCli(["create-webhook", "--url", "https://93.184.215.14/x", "--events", "all"], { NEXTAUTH_SECRET: undefined }),
      1,
      /NEXTAUTH_SECRET/,
    );
    await nothingChanged();
  });
});
