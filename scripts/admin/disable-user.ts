// `disable-user`: the user can no longer sign in; disabling twice changes nothing.
import { findUserByEmail } from "../../lib/users/find-user";
import { disableUser } from "../../lib/users/service";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { userEmail, userJson } from "./user-output";

export const disableUserCommand: Command = {
  name: "disable-user",
  usage: "disable-user EMAIL [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {});
    if (values.help) return commandUsage(this);
    const email = userEmail(positionals[0]);
    return {
      async run(db) {
        const before = await findUserByEmail(db, email);
        const user = await disableUser(db, email, CLI_ACTOR);
        if (values.json) return { json: userJson(user) };
        if (before?.disabledAt) return { text: `${user.email} was disabled already on ${before.disabledAt.toISOString()}; nothing changed.` };
        return { text: `Disabled ${user.email}: it can no longer sign in.` };
      },
    };
  },
};
