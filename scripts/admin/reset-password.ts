// `reset-password`: sets a user's password, for an admin locked out of the dashboard.
import { resetPassword } from "../../lib/users/service";
import { CLI_ACTOR, commandUsage, parseCommand, type Command } from "./command";
import { readNewPassword } from "./read-password";
import { userEmail, userJson } from "./user-output";

export const resetPasswordCommand: Command = {
  name: "reset-password",
  usage: "reset-password EMAIL [--json]",
  async parse(argv) {
    const { values, positionals } = parseCommand(this, argv, 1, {});
    if (values.help) return commandUsage(this);
    const email = userEmail(positionals[0]);
    const password = await readNewPassword(`New password for ${email}`);
    return {
      async run(db) {
        const user = await resetPassword(db, email, password, CLI_ACTOR);
        if (values.json) return { json: userJson(user) };
        return { text: `Password reset for ${user.email}.${user.disabledAt ? " The user is disabled, so it cannot sign in yet." : ""}` };
      },
    };
  },
};
