// `create-key`: issues a key and prints it, the only time it is ever shown.
import { describeRefill } from "../../lib/keys/describe-refill";
import { KEY_ENVIRONMENTS } from "../../lib/keys/format";
import { presentKey } from "../../lib/keys/present-key";
import { createKeyRequest, keyWithSecret } from "../../lib/keys/schemas";
import { issueKey } from "../../lib/keys/service";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { parseAddressList, parseCount, parseDuration, parseRatelimit, parseRefill, parseScopes } from "./option-values";
import { clean, formatMs, quote } from "./text";

const FLAG_OF_FIELD: Record<string, string> = {
  name: "--name",
  ownerId: "--owner",
  environment: "--env",
  scopes: "--scopes",
  expiresAt: "--expires-in",
  ratelimit: "--ratelimit",
  remaining: "--remaining",
  refill: "--refill",
  ipAllowlist: "--allow-ip",
};

// Beyond this a date is more likely a typo (30000d for 30d) than an intent.
const MAX_EXPIRY_MS = 100 * 365 * 86_400_000;

export const createKeyCommand: Command = {
  name: "create-key",
  usage:
    "create-key --name N [--owner O] [--env live|test] [--scopes a,b] [--expires-in 30d] [--ratelimit 100/60s] [--remaining N] [--refill 1000/daily] [--allow-ip a,b] [--json]",
  async parse(argv) {
    const { values } = parseCommand(this, argv, 0, {
      name: { type: "string" },
      owner: { type: "string" },
      env: { type: "string" },
      scopes: { type: "string" },
      "expires-in": { type: "string" },
      ratelimit: { type: "string" },
      remaining: { type: "string" },
      refill: { type: "string" },
      "allow-ip": { type: "string" },
    });
    if (values.help) return commandUsage(this);
    if (values.name === undefined || values.name.trim() === "") throw new UsageError('create-key needs --name, e.g. --name "Deploy bot".');
    if (values.env !== undefined && !(KEY_ENVIRONMENTS as readonly string[]).includes(values.env)) {
      throw new UsageError(`--env must be live or test, not ${quote(values.env)}.`);
    }
    const scopes = values.scopes === undefined ? [] : parseScopes(values.scopes);
    const expiresAt = values["expires-in"] === undefined ? null : new Date(Date.now() + parseDuration("--expires-in", values["expires-in"], MAX_EXPIRY_MS));
    const ratelimit = values.ratelimit === undefined ? null : parseRatelimit(values.ratelimit);
    const remaining = values.remaining === undefined ? null : parseCount("--remaining", values.remaining);
    const refill = values.refill === undefined ? null : parseRefill(values.refill);
    const ipAllowlist = values["allow-ip"] === undefined ? [] : parseAddressList(values["allow-ip"]);

    // The same validation as POST /api/v1/keys, so the CLI cannot create a key the API would refuse.
    const body = createKeyRequest.safeParse({
      name: values.name,
      ownerId: values.owner ?? null,
      environment: values.env ?? "live",
      scopes,
      expiresAt: expiresAt?.toISOString() ?? null,
      ratelimit,
      remaining,
      refill,
      ipAllowlist,
    });
    if (!body.success) {
      const issue = body.error.issues[0];
      const flag = FLAG_OF_FIELD[String(issue?.path[0])] ?? "input";
      // An address list names the entry at fault, not its position.
      const entry = issue?.path[0] === "ipAllowlist" && typeof issue.path[1] === "number" ? ` ${quote(ipAllowlist[issue.path[1]] ?? "")}` : "";
      throw new UsageError(`${flag}${entry}: ${issue?.message ?? "is not valid"}.`);
    }
    const input = body.data;
    return {
      async run(db) {
        const { record, key } = await issueKey(db, input, CLI_ACTOR);
        if (values.json) return { json: keyWithSecret.parse({ ...presentKey(record), key }) };
        const facts = [
          record.environment,
          `scopes: ${record.scopes.length ? record.scopes.join(", ") : "none"}`,
          record.ownerId ? `owner: ${record.ownerId}` : null,
          record.expiresAt ? `expires ${record.expiresAt.toISOString()}` : "never expires",
          record.ratelimitLimit !== null ? `rate limit ${record.ratelimitLimit}/${formatMs(record.ratelimitWindowMs ?? 0)}` : null,
          record.remaining !== null ? `quota ${record.remaining}` : null,
          refill ? describeRefill(refill).replace(/^R/, "r") : null,
          record.ipAllowlist.length ? `allowed from ${record.ipAllowlist.join(", ")}` : null,
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
  },
};
