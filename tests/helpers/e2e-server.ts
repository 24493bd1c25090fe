// The server Playwright tests run against: the production build through the real
// launcher, on a database made fresh for this run and dropped afterwards.
import { randomBytes } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";

import { E2E_DATABASE_URL_FILE } from "./e2e-database";
import { launch } from "./launcher";
import { createTestDatabase } from "./test-database";

const database = await createTestDatabase("keyhold_e2e");
// Tests create keys through lib/ services on the server's own database.
mkdirSync(path.dirname(E2E_DATABASE_URL_FILE), { recursive: true });
writeFileSync(E2E_DATABASE_URL_FILE, database.url);
const server = launch("start", {
  NODE_ENV: "production",
  DATABASE_URL: database.url,
  PORT: process.env.PORT ?? "3100",
  NEXTAUTH_SECRET: randomBytes(32).toString("hex"),
  KEYHOLD_DATA_DIR: process.env.KEYHOLD_DATA_DIR ?? ".data/e2e",
  LOG_LEVEL: "warn",
  // The tests connect from loopback, which this makes a trusted proxy: each test acts from its
  // own client address (X-Forwarded-For), so the invalid-key throttle of one cannot block the next.
  KEYHOLD_TRUSTED_PROXIES: "127.0.0.1, ::1",
  // The webhook tests deliver to a receiver on 127.0.0.1 over http.
  KEYHOLD_WEBHOOK_ALLOW_PRIVATE: "1",
});
server.child.stdout.pipe(process.stdout);
server.child.stderr.pipe(process.stderr);

for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => server.child.kill(signal));
}
const code = await server.exited;
await database.drop();
process.exit(code ?? 0);
