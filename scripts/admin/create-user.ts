// `create-user`: a dashboard user with a role; the password is asked for, never an argument.
import { ROLES, type Role } from "../../lib/access/roles";
import { createUser } from "../../lib/users/service";
import { UsageError } from "../cli/run-command";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { readNewPassword } from "./read-password";
import { clean, quote } from "./text";
import { userEmail, userJson } from "./user-output";

export const createUserCommand: Command = {
  name: "create-user",
  usage: "create-user EMAIL --role OWNER|ADMIN|VIEWER [--name N] [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, { role: { type: "string" }, name: { type: "string" } });
    if (values.help) return commandUsage(this);
    const email = userEmail(positionals[0]);
    if (values.role === undefined) throw new UsageError("create-user needs --role OWNER, ADMIN or VIEWER.");
    const role = values.role.toUpperCase() as Role;
    if (!ROLES.includes(role)) throw new UsageError(`--role must be OWNER, ADMIN or VIEWER, not ${quote(values.role)}.`);
    const password = await readNewPassword(`Password for ${email}`);
    return {
      async run(db) {
        const user = await createUser(db, { email, name: values.name ?? null, password, role }, CLI_ACTOR);
        if (values.json) return { json: userJson(user) };
        return { text: `Created user ${user.id} ${user.email} ("${clean(user.name)}", ${user.role}).` };
      },
    };
  },
};
