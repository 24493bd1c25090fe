import http from "node:http";

import next from "next";

import { CLIENT_IP_HEADER } from "../api/client-ip";
import { getDb } from "../db/client";
import { env } from "../env";
import { logger, logRequest, requestLogEntry } from "../observability/logger";
import { requestContextStorage, requestIdFrom, type RequestContext } from "../observability/request-context";
import { onShutdown, runShutdownHooks } from "../process/shutdown";
import { startUsageMaintenance } from "../usage/prune-usage";
import { startWebhooks } from "../webhooks/start-webhooks";
import { announceSetup } from "./announce-setup";
import { createApiDispatcher, type ApiDispatcher, type DispatchRoute, type RouteModule } from "./api-dispatcher";
import { loadHeaderRules } from "./next-header-rules";
import { guardRequest } from "./request-guard";

// Keyhold's HTTP server: Next's request handler behind a plain node:http server, so that
// (1) the socket address reaches route handlers in a header no client can forge (Next only
// fills x-forwarded-for when it is absent, so a spoofed one would win), and (2) shutdown is
// ours: stop accepting, finish in-flight requests, flush buffered usage events, then exit;
// (3) every request runs inside a context that route code fills in, written out as one log
// line when the response is done; and (4) the HTTP API goes straight to its route handlers
// (lib/server/api-dispatcher.ts) unless KEYHOLD_API_DISPATCH=0 or in development, where Next
// reloads the handlers as they are edited.

const DRAIN_TIMEOUT_MS = 10_000;
// Past this, shutdown gives up on whatever hangs (a database that vanished mid-flush) and exits.
const SHUTDOWN_DEADLINE_MS = 30_000;

// Next answers an /api path whose percent-encoding is not UTF-8 (`/api/v1/keys/%FF`) with a
// plain-text 500 from inside its router; the JSON error contract (DESIGN.md section 6) holds
// only if such a request is refused before it gets there.
function undecodableApiPath(url: string | undefined): boolean {
  const path = (url ?? "/").split("?")[0] ?? "/";
  if (path !== "/api" && !path.startsWith("/api/")) return false;
  try {
    decodeURIComponent(path);
    return false;
  } catch {
    return true;
  }
}

export interface ServeOptions {
  dev: boolean;
  port: number;
  hostname?: string;
  dir: string;
  /** The API's routes for the dispatcher; without them Next serves everything. */
  api?: { routes: DispatchRoute[]; notFound: RouteModule };
}

function apiDispatcher(options: ServeOptions): ApiDispatcher | null {
  if (!options.api || options.dev || env().KEYHOLD_API_DISPATCH === "0") return null;
  const headers = loadHeaderRules(options.dir);
  if ("unsupported" in headers) {
    console.warn(`Keyhold: the API is served through Next: ${headers.unsupported}`);
    return null;
  }
  return createApiDispatcher({ ...options.api, headers: headers.rules });
}

export async function serve(options: ServeOptions): Promise<void> {
  const app = next({ dev: options.dev, dir: options.dir, port: options.port, hostname: options.hostname ?? "localhost" });
  const handle = app.getRequestHandler();
  await app.prepare();
  const dispatcher = apiDispatcher(options);

  const log = logger();
  const contexts = requestContextStorage();
  let stopping = false;
  const server = http.createServer((req, res) => {
    const started = performance.now();
    // While draining, every answer closes its connection: server.close() alone leaves keep-alive
    // clients sending requests until the drain timeout cuts them off mid-request.
    if (stopping) res.setHeader("Connection", "close");
    req.headers[CLIENT_IP_HEADER] = req.socket.remoteAddress ?? "";
    const context: RequestContext = { id: requestIdFrom(req.headers["x-request-id"]) };
    // Route code sees the id the log and the response carry, never a refused one.
    req.headers["x-request-id"] = context.id;
    res.setHeader("X-Request-Id", context.id);
    let logged = false;
    // One line either way: "finish" when the response was sent, "close" without it when the
    // client hung up first.
    const done = (aborted: boolean) => {
      if (logged) return;
      logged = true;
      const entry = requestLogEntry({ context, method: req.method, url: req.url, status: res.statusCode, latencyMs: performance.now() - started, aborted });
      logRequest(log, entry);
    };
    res.once("finish", () => done(false));
    res.once("close", () => done(!res.writableFinished));
    if (contexts.run(context, () => guardRequest(req, res))) return;
    if (undecodableApiPath(req.url)) {
      res.writeHead(400, { "Content-Type": "application/json", "Cache-Control": "no-store" });
      res.end(JSON.stringify({ error: { code: "bad_request", message: "The URL path is not valid percent-encoded UTF-8." } }));
      return;
    }
    const match = dispatcher?.match(req);
    contexts.run(context, () => {
      if (!match) return void handle(req, res);
      dispatcher!.serve(req, res, match).catch(() => res.destroy());
    });
  });
  // Longer than a typical load balancer's idle timeout, so it closes idle connections first.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    // KEYHOLD_HOST unset: every interface, as before.
    server.listen(options.port, env().KEYHOLD_HOST, () => resolve());
  });
  const host = env().KEYHOLD_HOST ?? "localhost";
  console.log(`Keyhold: ready on http://${host.includes(":") ? `[${host}]` : host}:${options.port}`);
  console.log(dispatcher ? "Keyhold: API served straight from its route handlers" : "Keyhold: API served through Next's router");

  await announceSetup(getDb(), env().NEXTAUTH_SECRET, env().NEXTAUTH_URL ?? `http://localhost:${options.port}`);

  const maintenance = startUsageMaintenance({
    db: getDb(),
    rawRetentionDays: env().KEYHOLD_USAGE_RAW_RETENTION_DAYS,
    retentionDays: env().KEYHOLD_USAGE_RETENTION_DAYS,
  });
  onShutdown("flush", () => maintenance.stop());
  startWebhooks(getDb());

  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    console.log(`Keyhold: ${signal} received, shutting down`);
    setTimeout(() => {
      console.error("Keyhold: shutdown did not finish in time; exiting");
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    const drained = new Promise<void>((resolve) => server.close(() => resolve()));
    // Connections become idle as their last answer (with Connection: close) goes out.
    const sweep = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    const timer = setTimeout(() => server.closeAllConnections(), DRAIN_TIMEOUT_MS);
    await drained;
    clearInterval(sweep);
    clearTimeout(timer);
    await runShutdownHooks();
    await app.close().catch(() => undefined);
    process.exit(0);
  };
  process.on("SIGINT", () => void stop("SIGINT"));
  process.on("SIGTERM", () => void stop("SIGTERM"));
}
