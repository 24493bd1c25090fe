// Child process of tests/integration/request-log.test.ts: logs a burst of request lines through
// the process's logger, says so on stderr, then shuts down on SIGTERM as the server does.
import { logger, logRequest } from "../../lib/observability/logger";
import { runShutdownHooks } from "../../lib/process/shutdown";

const count = Number(process.argv[2]);
const log = logger();
process.once("SIGTERM", () => void runShutdownHooks().then(() => process.exit(0)));
for (let i = 0; i < count; i++) {
  logRequest(log, { requestId: `burst-${i}`, method: "GET", path: "/api/v1/whoami", status: 200, latencyMs: 0.5, keyId: "key_x", outcome: "valid" });
}
process.stderr.write("logged\n");
process.kill(process.pid, "SIGTERM");
