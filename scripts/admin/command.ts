// What every admin command is made of: a parser that checks its arguments before any database is
// opened, and a task that runs against the database once they are good.
import { parseArgs } from "node:util";

import type { Actor } from "../../lib/access/actor";
import type { Db } from "../../lib/db/client";
import { UsageError } from "../cli/run-command";
import { quote } from "./text";

export type Output = { json: unknown } | { text: string };

export interface Task {
  run(db: Db): Promise<Output>;
}

export interface Command {
  name: string;
  /** The one-line synopsis, shown by `<command> --help` and in argument errors. */
  usage: string;
  parse(argv: string[]): Promise<Task | Output>;
}

/** Every change the CLI makes is audited as this actor. */
export const CLI_ACTOR: Actor = { type: "cli", id: null };

type OptionSpec = Record<string, { type: "string" | "boolean" }>;

export function parseCommand<O extends OptionSpec>(command: Pick<Command, "name" | "usage">, argv: string[], positionalCount: number, options: O) {
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
    if (positionals.length > positionalCount) {
      throw new UsageError(`${command.name} got an unexpected argument ${quote(positionals[positionalCount])}; usage: ${command.usage}`);
    }
    throw new UsageError(`${command.name} is missing an argument; usage: ${command.usage}`);
  }
  return { values, positionals };
}

// parseArgs's messages run to several sentences; one short line is the contract.
function argumentError(command: Pick<Command, "name" | "usage">, error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: string }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION" && option) {
    return `${command.name} has no option ${option}; usage: ${command.usage}`;
  }
  if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && option) {
    return /argument missing|ambiguous/.test(message)
      ? `${option} needs a value (write ${option}=VALUE for one that starts with -).`
      : `${option} takes no value.`;
  }
  return `${command.name}: ${message.split(/(?<=\.)\s/)[0]}`;
}

export function commandUsage(command: Pick<Command, "usage">): Output {
  return { text: `Usage: npm run admin -- ${command.usage}\nRun \`npm run admin -- help\` for all commands.` };
}
