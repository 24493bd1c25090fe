import pino, { type DestinationStream, type Logger } from "pino";
import { env, type Env } from "../env";
import type { RequestContext } from "./request-context";
import { processSingleton } from "../process/process-singleton";
import { redactKeys } from "../keys/format";

// One JSON line per request (written by lib/server/http-server.ts). Only fields built here reach
// the log: never headers, bodies, query strings or anything else a client or the app controls
// wholesale, because any of them can carry a key, a cookie or a password.

export type LogLevel = Env["LOG_LEVEL"];

export function createLogger(level: LogLevel, destination?: DestinationStream): Logger {
  return pino(
    { level, timestamp: pino.stdTimeFunctions.isoTime },
    // Synchronous: the server's other output (console) shares stdout, and an asynchronous write
    // bigger than a pipe's atomic size could interleave with it and break a line.
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

export function logger(): Logger {
  return processSingleton("keyholdLogger", () => createLogger(env().LOG_LEVEL));
}

export interface RequestLogEntry {
  requestId: string;
  method: string;
  path: string;
  status: number;
  latencyMs: number;
  keyId?: string | null;
  outcome?: string;
  verifiedKeyId?: string | null;
  verifiedOutcome?: string;
  /** The client went away before the response was complete. */
  aborted?: true;
}

const MAX_PATH = 2_048;
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

export function logPath(url: string | undefined): string {
  let path = url ?? "";
  const query = path.indexOf("?");
  if (query !== -1) path = path.slice(0, query);
  if (path.length > MAX_PATH) path = path.slice(0, MAX_PATH);
  // A key refused in a path segment (or anywhere in the URL) must not survive into the log.
  return redactKeys(path);
}

export function requestLogEntry(input: {
  context: RequestContext;
  method: string | undefined;
  url: string | undefined;
  status: number;
  latencyMs: number;
  aborted?: boolean;
}): RequestLogEntry {
  const { context } = input;
  const method = input.method ?? "";
  const entry: RequestLogEntry = {
    requestId: context.id,
    // Node accepts any token as a method; an arbitrary one is client-chosen text.
    method: KNOWN_METHODS.has(method) ? method : "OTHER",
    path: logPath(input.url),
    status: input.status,
    latencyMs: Math.round(input.latencyMs * 100) / 100,
  };
  if (context.outcome !== undefined) {
    entry.keyId = context.keyId ?? null;
    entry.outcome = context.outcome;
  }
  if (context.verifiedOutcome !== undefined) {
    entry.verifiedKeyId = context.verifiedKeyId ?? null;
    entry.verifiedOutcome = context.verifiedOutcome;
  }
  if (input.aborted) entry.aborted = true;
  return entry;
}

export function logRequest(log: Logger, entry: RequestLogEntry): void {
  if (entry.status >= 500) log.error(entry, "request");
  else log.info(entry, "request");
}
