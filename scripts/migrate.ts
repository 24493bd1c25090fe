// `npm run db:migrate`: applies pending migrations to DATABASE_URL without starting the app
// (the app also does this at every start).
import { migrate } from "../lib/db/migrate";
import { ConfigError, parseEnv } from "../lib/env";

try {
  const { DATABASE_URL } = parseEnv();
  if (!DATABASE_URL) {
    console.error("DATABASE_URL is not set: the embedded database is migrated by `npm start` itself");
    process.exit(1);
  }
  const { applied, total } = await migrate(DATABASE_URL);
  console.log(`${applied.length} applied, ${total} in all${applied.length ? `: ${applied.join(", ")}` : ""}`);
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : `Migration failed: ${(error as Error).message}`);
  process.exit(1);
}
