import type { IncomingMessage, ServerResponse } from "node:http";
import { createRequire } from "node:module";
import { gzipSync } from "node:zlib";

import type { ApiRequest } from "../api/api-request";
import { errorResponse } from "../api/errors";
import { jsonTextOf } from "../api/json-response";
import { DispatchedRequest } from "./dispatched-request";
import type { HeaderRules } from "./next-header-rules";

// Serves the HTTP API (DESIGN.md section 15.1a) by calling the app's route handlers directly,
// without Next's router, which costs about a millisecond of CPU per request before any of our
// code runs. The answers are Next's: the same handlers, the headers next.config.ts declares,
// Next's Vary and its compression. Whatever this does not reproduce exactly (methods other than
// the handlers', non-canonical paths that Next redirects or decodes, Next's own request headers)
// it declines, and Next answers.

type Method = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
// Route files export handlers typed for their own contract; the dispatcher calls each one as Next
// does, with the request and the path's parameters.
type RouteHandler = (...args: never[]) => Response | Promise<Response>;
type DispatchedHandler = (request: ApiRequest, context: { params: Promise<Record<string, string>> }) => Response | Promise<Response>;
export type RouteModule = Partial<Record<Method, RouteHandler>>;

/** One route of the API table: its OpenAPI path (`/api/v1/keys/{id}`) and its route file's module. */
export interface DispatchRoute {
  path: string;
  module: RouteModule;
}

export interface DispatchMatch {
  handler: RouteHandler;
  params: Record<string, string>;
  pathname: string;
  head: boolean;
}

export interface ApiDispatcher {
  /** The handler that answers this request, or null to leave it to Next. */
  match(req: IncomingMessage): DispatchMatch | null;
  serve(req: IncomingMessage, res: ServerResponse, match: DispatchMatch): Promise<void>;
}

// The paths of section 7 (and what Next's catch-all answers 404 under them).
const OWNED = [/^\/api\/v1(\/|$)/, /^\/api\/health(\/|$)/, /^\/api\/openapi\.json$/];
// Requests from Next's client router get answers (redirects, flight data) only Next gives.
const NEXT_REQUEST_HEADERS = ["rsc", "next-router-state-tree", "next-router-prefetch", "next-router-segment-prefetch", "next-action", "x-nextjs-data"];
// What Next's app router puts in Vary on every route handler response.
const NEXT_VARY = "rsc, next-router-state-tree, next-router-prefetch, next-router-segment-prefetch";
const CANONICAL_SEGMENT = /^[A-Za-z0-9_\-~]+(\.[A-Za-z0-9_\-~]+)*$/;
const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
// Next's compression middleware leaves answers with Cache-Control: no-transform uncompressed.
// Larger JSON answers than this are compressed by the middleware, off the event loop.
const INLINE_GZIP_LIMIT = 16 * 1024;
const NO_TRANSFORM = /(?:^|,)\s*?no-transform\s*?(?:,|$)/;

type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;
// Next's own compression middleware, for whatever the plain cases below do not cover, so that
// such answers get exactly Next's headers.
const load = createRequire(import.meta.url);
const compress = (load("next/dist/compiled/compression") as () => Middleware)();
// On a client that hangs up, the middleware never ends its zlib stream; Next releases it so.
const { releaseCompressionStream } = load("next/dist/server/lib/release-compression-stream") as {
  releaseCompressionStream(res: ServerResponse): void;
};

interface CompiledRoute {
  segments: string[];
  module: RouteModule;
}

export function createApiDispatcher(options: { routes: readonly DispatchRoute[]; notFound: RouteModule; headers: HeaderRules }): ApiDispatcher {
  const routes: CompiledRoute[] = options.routes.map((route) => ({ segments: route.path.split("/").slice(1), module: route.module }));

  const find = (segments: string[]): { module: RouteModule; params: Record<string, string> } => {
    for (const route of routes) {
      if (route.segments.length !== segments.length) continue;
      const params: Record<string, string> = {};
      let matched = true;
      for (let i = 0; i < segments.length && matched; i++) {
        const pattern = route.segments[i]!;
        if (pattern.startsWith("{")) params[pattern.slice(1, -1)] = segments[i]!;
        else matched = pattern === segments[i];
      }
      if (matched) return { module: route.module, params };
    }
    return { module: options.notFound, params: {} };
  };

  return {
    match(req) {
      const method = req.method ?? "";
      if (!METHODS.has(method)) return null;
      const url = req.url ?? "";
      const query = url.indexOf("?");
      const pathname = query === -1 ? url : url.slice(0, query);
      if (!OWNED.some((owned) => owned.test(pathname))) return null;
      const segments = pathname.split("/").slice(1);
      if (!segments.every((segment) => CANONICAL_SEGMENT.test(segment))) return null;
      if (NEXT_REQUEST_HEADERS.some((name) => req.headers[name] !== undefined)) return null;
      const { module, params } = find(segments);
      const head = method === "HEAD";
      const handler = module[head ? "GET" : (method as Method)];
      return handler ? { handler, params, pathname, head } : null;
    },

    async serve(req, res, match) {
      let response: Response;
      try {
        // Handlers catch their own errors (withApiKey); this is for one that does not.
        response = await (match.handler as unknown as DispatchedHandler)(new DispatchedRequest(req), { params: Promise.resolve(match.params) });
      } catch (error) {
        response = errorResponse(error);
      }
      // The request guard may have refused the body while the handler read it.
      if (res.headersSent) return;
      res.statusCode = response.status;
      for (const [name, value] of options.headers(match.pathname)) res.setHeader(name, value);
      res.setHeader("Vary", NEXT_VARY);
      for (const [name, value] of response.headers) {
        if (name !== "set-cookie") res.setHeader(name, value);
      }
      const cookies = response.headers.getSetCookie();
      if (cookies.length > 0) res.setHeader("set-cookie", cookies);
      const text = jsonTextOf(response);
      const coding = text !== undefined && text.length <= INLINE_GZIP_LIMIT ? plainCoding(req.headers["accept-encoding"]) : null;
      if (coding !== null && response.headers.get("content-type") === "application/json") {
        // What Next's compression middleware does to a JSON answer, without its zlib stream (which
        // cost more than the verification behind a 200-byte answer): Vary, and gzip for a client
        // that accepts it, even for a few bytes, as Next's streaming defeats the middleware's 1 KiB
        // threshold (DESIGN.md section 15.1a wants the same headers either way).
        const transform = !NO_TRANSFORM.test(String(res.getHeader("cache-control") ?? ""));
        const vary = String(res.getHeader("vary"));
        if (transform && vary !== "*" && !/(^|,)\s*accept-encoding\s*(,|$)/i.test(vary)) res.setHeader("Vary", `${vary}, Accept-Encoding`);
        if (match.head) writeWhole(res, null);
        else if (coding === "gzip" && transform) {
          res.setHeader("Content-Encoding", "gzip");
          writeWhole(res, gzipSync(text!));
        } else writeWhole(res, text!);
      } else {
        compress(req, res, () => undefined);
        res.once("close", () => {
          if (!res.writableFinished) releaseCompressionStream(res);
        });
        if (match.head || response.body === null) writeWhole(res, null);
        else if (text !== undefined) writeWhole(res, text);
        else await pipeBody(response.body, res);
      }
      // A body the handler did not read (refused by its Content-Length) is read and dropped, so
      // the connection can carry the next request.
      if (!req.readableEnded) {
        req.removeAllListeners("data");
        req.resume();
      }
    },
  };
}

/**
 * The coding Next's compression middleware would choose for this Accept-Encoding, where that is
 * plain to see: none asked for, or a list of bare names (no weights, no `*`): gzip if listed (it
 * prefers gzip to deflate), else identity unless deflate is listed. Null for anything else, which
 * the middleware itself then negotiates.
 */
function plainCoding(header: string | undefined): "gzip" | "identity" | null {
  if (header === undefined) return "identity";
  if (header.includes(";") || header.includes("*")) return null;
  const names = header.split(",").map((name) => name.trim().toLowerCase());
  if (names.includes("gzip")) return "gzip";
  return names.includes("deflate") ? null : "identity";
}

// Written, then ended, as Next streams a body: chunked, never with a Content-Length. Corked, so
// that headers, the chunk and the last chunk leave in one write.
function writeWhole(res: ServerResponse, body: string | Uint8Array | null): void {
  res.cork();
  if (body) res.write(body);
  res.end();
  res.uncork();
}

// A streamed body (the audit export) is passed on as it comes, as Next does, never held whole:
// chunk by chunk, flushed through compression, waiting while the client is slow to read.
async function pipeBody(body: ReadableStream<Uint8Array>, res: ServerResponse): Promise<void> {
  const reader = body.getReader();
  const hungUp = () => void reader.cancel().catch(() => undefined);
  res.once("close", hungUp);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      const more = res.write(value);
      (res as ServerResponse & { flush?: () => void }).flush?.();
      if (!more) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
    }
  } finally {
    res.off("close", hungUp);
  }
  if (!res.destroyed) res.end();
}
