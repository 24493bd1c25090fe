// `usage rebuild`: recomputes the derived usage tables of a range from the raw events, after a
// restore or a bulk import (DESIGN.md section 15.2). Idempotent; audited as the CLI.
import { parseEnv } from "../../lib/env";
import { rebuildUsage } from "../../lib/usage/rebuild-usage";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { quote } from "./text";

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function instant(option: string, value: string): Date {
  const date = new Date(value);
  if (!ISO_INSTANT.test(value) || Number.isNaN(date.getTime())) {
    throw new UsageError(`${option} must be an ISO 8601 date or time in UTC or with an offset, such as 2026-11-23 or 2026-11-23T10:00Z, not ${quote(value)}.`);
  }
  return date;
}

export const usageRebuildCommand: Command = {
  name: "usage",
  usage: "usage rebuild --from ISO [--to ISO] [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, { from: { type: "string" }, to: { type: "string" } });
    if (values.help) return commandUsage(this);
    if (positionals[0] !== "rebuild") throw new UsageError(`usage has one subcommand, rebuild, not ${quote(positionals[0])}; usage: ${this.usage}`);
    if (values.from === undefined) throw new UsageError(`usage rebuild needs --from; usage: ${this.usage}`);
    const from = instant("--from", values.from);
    const to = values.to === undefined ? new Date() : instant("--to", values.to);
    // Read here, not by the dispatcher: no other command needs the retention settings.
    const { KEYHOLD_USAGE_RAW_RETENTION_DAYS } = parseEnv({ ...process.env, NODE_ENV: undefined });
    return {
      async run(db) {
        const result = await rebuildUsage(db, { from, to, actor: CLI_ACTOR, rawRetentionDays: KEYHOLD_USAGE_RAW_RETENTION_DAYS });
        if (values.json) return { json: result };
        return { text: `Rebuilt the usage tables from ${result.from} to ${result.to} out of ${result.events.toLocaleString("en")} raw events.` };
      },
    };
  },
};
