import type { IncomingMessage, ServerResponse } from "node:http";

import { CLIENT_IP_HEADER, clientIp } from "../api/client-ip";
import { queryCarriesKey } from "../api/extract-key";
import { MAX_BODY_BYTES } from "../api/read-json";
import { env } from "../env";
import { ERROR_CODES, type ErrorCode } from "../errors/error-codes";
import { recordKeyUse } from "../observability/record-key-use";
import { noteRequestKey } from "../observability/request-context";

// Refusals made before Next sees a request (DESIGN.md section 15.7). next-auth reads a whole
// body into memory before looking at it, so a few concurrent multi-GB POSTs to /api/auth/* took
// the process (and key verification with it) down: no route may receive more than 64 KiB.

// After a refusal the client may still be sending; its bytes are discarded this long, so it
// can read the answer before the connection closes (closing at once would reset it unread).
const LINGER_MS = 5_000;

/**
 * True when the request was answered here; the caller must then leave it alone. Run it inside
 * the request's context: a refused key in the URL is noted there for the request's log line.
 */
export function guardRequest(req: IncomingMessage, res: ServerResponse): boolean {
  const started = performance.now();
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > MAX_BODY_BYTES) {
    refuse(req, res, "payload_too_large");
    return true;
  }
  // Only a query string can carry a key; most requests have none, and skip parsing a URL.
  if (isApi(req.url) && req.url!.includes("?")) {
    const url = new URL(req.url!, "http://keyhold.invalid");
    if (queryCarriesKey(url)) {
      // A verification attempt like those withApiKey refuses, recorded the same way (metrics,
      // the request's log fields, usage); by the path alone, as the query holds the key.
      const code = "key_in_query";
      const elapsedMs = performance.now() - started;
      noteRequestKey(null, code);
      recordKeyUse({
        keyId: null,
        outcome: code,
        verificationMs: elapsedMs,
        method: req.method ?? "",
        path: url.pathname,
        status: ERROR_CODES[code].status,
        latencyMs: elapsedMs,
        ip: clientAddress(req),
      });
      refuse(req, res, code);
      return true;
    }
  }
  // A chunked body declares no length: count its bytes as the HTTP parser hands them over. (In
  // HTTP/1.1 a request without either header has no body at all.)
  if (req.headers["transfer-encoding"] !== undefined) limitStreamedBody(req, res);
  return false;
}

function limitStreamedBody(req: IncomingMessage, res: ServerResponse): void {
  const push = req.push.bind(req);
  let received = 0;
  let refused = false;
  req.push = (chunk, encoding) => {
    if (refused) return true;
    if (chunk !== null) received += Buffer.byteLength(chunk, encoding);
    if (received <= MAX_BODY_BYTES) return push(chunk, encoding);
    refused = true;
    // Whoever reads the body never gets the end of it: the request fails for them, and the
    // client gets this answer instead (unless they answered before reading that far).
    if (!res.headersSent) refuse(req, res, "payload_too_large");
    else req.socket.destroy();
    return true;
  };
}

function refuse(req: IncomingMessage, res: ServerResponse, code: ErrorCode): void {
  const { status, message } = ERROR_CODES[code];
  const api = isApi(req.url);
  res.writeHead(status, {
    "Content-Type": api ? "application/json" : "text/plain; charset=utf-8",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    Connection: "close",
  });
  res.end(api ? JSON.stringify({ error: { code, message } }) : `${message}\n`);
  res.once("finish", () => {
    req.socket.end();
    setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
  });
  req.resume();
}

/** The client address as withApiKey reads it (clientIp), from the socket and X-Forwarded-For. */
function clientAddress(req: IncomingMessage): string | null {
  const headers = new Headers({ [CLIENT_IP_HEADER]: req.socket.remoteAddress ?? "" });
  const forwarded = req.headers["x-forwarded-for"];
  if (typeof forwarded === "string") headers.set("x-forwarded-for", forwarded);
  return clientIp(headers, env().KEYHOLD_TRUSTED_PROXIES);
}

function isApi(url: string | undefined): boolean {
  const path = (url ?? "/").split("?")[0] ?? "/";
  return path === "/api" || path.startsWith("/api/");
}
