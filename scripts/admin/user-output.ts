// What the user commands share: the email argument, checked before any database is opened, and
// the user as --json prints it.
import { normalizeEmail, type UserRecord } from "../../lib/users/service";
import { UsageError } from "../cli/run-command";
import { quote } from "./text";

export function userEmail(value: string): string {
  try {
    return normalizeEmail(value);
  } catch {
    throw new UsageError(`${quote(value)} is not a valid email address.`);
  }
}

export function userJson(user: UserRecord) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    createdAt: user.createdAt.toISOString(),
    disabledAt: user.disabledAt?.toISOString() ?? null,
  };
}
