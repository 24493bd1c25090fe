import type { Db } from "../db/client";
import { hasUsers } from "../users/has-users";
import { setupToken } from "../users/setup-token";

/**
 * While no user exists, prints the one-time setup link (DESIGN.md section 15.7): the only
 * secret Keyhold ever prints, for whoever reads the server's output, which is who installed it.
 */
export async function announceSetup(db: Db, secret: string | undefined, baseUrl: string, print: (line: string) => void = console.log): Promise<void> {
  if (!secret) return;
  try {
    if (await hasUsers(db)) return;
  } catch {
    print("Keyhold: could not check for users; if this is a first run, restart once the database answers to get the setup link");
    return;
  }
  const url = new URL("/setup", baseUrl);
  url.searchParams.set("token", setupToken(secret));
  print(`Keyhold: no users yet: create the owner account at ${url.toString()}`);
}
