import pino, { type DestinationStream, type Logger } from "pino";

import { env, type Env } from "../env";
import { processSingleton } from "../process/process-singleton";
import { onShutdown } from "../process/shutdown";
import { isoTimestamp } from "./iso-timestamp";
import type { RequestContext } from "./request-context";

// One JSON line per request (written by lib/server/http-server.ts). Only fields built here reach
// the log: never headers, bodies, query strings or anything else a client or the app controls
// wholesale, because any of them can carry a key, a cookie or a password.

export type LogLevel = Env["LOG_LEVEL"];

export function createLogger(level: LogLevel, destination: DestinationStream): Logger {
  // pino.stdTimeFunctions.isoTime, without building a Date per line.
  return pino({ level, timestamp: () => `,"time":"${isoTimestamp(Date.now())}"` }, destination);
}

// Linux's PIPE_BUF: a write to a pipe up to this size is atomic.
const ATOMIC_WRITE_BYTES = 4096;

/**
 * Stdout, written asynchronously so that no request waits for it. The server's other output
 * (console) shares stdout: each write is whole lines and at most ATOMIC_WRITE_BYTES, so a
 * console line can land between two log lines but never inside one. minLength 1 writes at
 * once like 0 would, and makes flush() wait for the writes in flight (with 0 it returns at once);
 * pino's own exit handler would write what is queued, but could overtake a write in flight.
 */
function stdoutDestination() {
  const destination = pino.destination({ fd: 1, sync: false, minLength: 1, maxWrite: ATOMIC_WRITE_BYTES });
  onShutdown("close", () => new Promise<void>((resolve) => destination.flush(() => resolve())));
  return destination;
}

export function logger(): Logger {
  return processSingleton("keyholdLogger", () => createLogger(env().LOG_LEVEL, stdoutDestination()));
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
// A key refused in a path segment (or anywhere in the URL) must not survive into the log.
const KEY_IN_TEXT = /kh_(live|test)_[0-9A-Za-z]{38}/g;
const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

export function logPath(url: string | undefined): string {
  let path = url ?? "";
  const query = path.indexOf("?");
  if (query !== -1) path = path.slice(0, query);
  if (path.length > MAX_PATH) path = path.slice(0, MAX_PATH);
  if (path.includes("kh_")) path = path.replace(KEY_IN_TEXT, "kh_$1_[redacted]");
  return path;
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
