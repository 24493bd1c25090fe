import { randomBytes } from "node:crypto";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

import { afterEach, describe, expect, it } from "vitest";

import { DispatchedRequest } from "../../lib/server/dispatched-request";

// lib/server/dispatched-request.ts: the request a route handler gets from Keyhold's dispatcher,
// read off a real IncomingMessage. Each test starts a node:http server on port 0 and sends it
// real requests (node:http, or a raw socket where the bytes on the wire matter).

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const servers: http.Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

/** A server answering every request with `handler`; a handler that throws answers 500 with the error. */
async function serve(handler: Handler): Promise<number> {
  const server = http.createServer((req, res) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500).end(String(error));
      });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return (server.address() as AddressInfo).port;
}

/**
 * Serves one request and resolves with what `inspect` returns for it (the response is then
 * ended, unless inspect did); `send` sends the request once the server listens.
 */
async function onRequest<T>(
  send: (port: number) => unknown,
  inspect: (request: DispatchedRequest, req: IncomingMessage, res: ServerResponse) => T | Promise<T>,
): Promise<T> {
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const result = new Promise<T>((resolve, reject) => (settle = { resolve, reject }));
  const port = await serve(async (req, res) => {
    try {
      settle.resolve(await inspect(new DispatchedRequest(req), req, res));
    } catch (error) {
      settle.reject(error);
    }
    if (!res.headersSent) res.end();
  });
  Promise.resolve(send(port)).catch(() => undefined);
  return result;
}

interface Answer {
  status: number;
  body: string;
}

/** A request through node:http; `body` chunks are written with `pauseMs` between them. */
function request(
  port: number,
  options: { method?: string; path?: string; headers?: http.OutgoingHttpHeaders; body?: Buffer[]; pauseMs?: number; agent?: http.Agent },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const client = http.request(
      { host: "127.0.0.1", port, method: options.method ?? "GET", path: options.path ?? "/", headers: options.headers, agent: options.agent },
      (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    client.on("error", reject);
    void (async () => {
      for (const [index, chunk] of (options.body ?? []).entries()) {
        if (index > 0 && options.pauseMs) await sleep(options.pauseMs);
        client.write(chunk);
      }
      client.end();
    })();
  });
}

/**
 * Sends `head` (and `body`) as written over a raw socket; resolves with all the server sent back.
 * With `hangUpWhen`, the client hangs up (closes the connection) once that promise settles.
 */
function raw(port: number, head: string, body = "", { hangUpWhen }: { hangUpWhen?: Promise<unknown> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1", () => {
      socket.write(head.replaceAll("\n", "\r\n") + "\r\n" + body, () => {
        void hangUpWhen?.finally(() => socket.destroy());
      });
    });
    const chunks: Buffer[] = [];
    socket.on("data", (chunk: Buffer) => chunks.push(chunk));
    socket.on("close", () => resolve(Buffer.concat(chunks).toString("latin1")));
    socket.on("error", reject);
  });
}

/** Reads a body as readJson does, to its end. */
async function readAll(request: DispatchedRequest): Promise<{ bytes: Buffer; reads: number }> {
  const reader = request.body!.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    expect(value).toBeInstanceOf(Uint8Array);
    chunks.push(value);
  }
  return { bytes: Buffer.concat(chunks), reads: chunks.length };
}

/** Rejects if `promise` has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms)));
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** The Headers Next builds from the same request (fromNodeOutgoingHttpHeaders). */
function nextHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, one);
  }
  return headers;
}

describe("DispatchedRequest", () => {
  it("has the request's method", async () => {
    for (const method of ["GET", "POST", "PATCH", "DELETE", "PUT"]) {
      expect(
        await onRequest(
          (port) => request(port, { method, path: "/api/v1/keys" }),
          (r) => r.method,
        ),
      ).toBe(method);
    }
  });

  describe("headers", () => {
    it("reads a header under any case, and null when it is absent", async () => {
      const seen = await onRequest(
        (port) => request(port, { headers: { Authorization: "Bearer kh_test_abc", "X-Api-Key": "kh_live_xyz" } }),
        (r) => ({
          exact: r.headers.get("authorization"),
          upper: r.headers.get("AUTHORIZATION"),
          mixed: r.headers.get("x-API-key"),
          absent: r.headers.get("x-missing"),
          has: r.headers.has("X-Api-Key"),
          hasAbsent: r.headers.has("x-missing"),
        }),
      );
      expect(seen).toEqual({ exact: "Bearer kh_test_abc", upper: "Bearer kh_test_abc", mixed: "kh_live_xyz", absent: null, has: true, hasAbsent: false });
    });

    it("reads repeated headers as Node joins them: a list with ', ', cookies with '; ', and the first of a single-valued one", async () => {
      const head = [
        "GET /api/v1/whoami HTTP/1.1",
        "Host: keyhold.test",
        "X-Tag: a",
        "x-tag: b",
        "Accept: application/json",
        "Accept: text/plain",
        "Cookie: a=1",
        "Cookie: b=2",
        "Authorization: Bearer first",
        "Authorization: Bearer second",
        "User-Agent: one",
        "User-Agent: two",
        "Connection: close",
        "",
      ].join("\n");
      const seen = await onRequest(
        (port) => raw(port, head),
        (r, req) => ({
          tag: r.headers.get("x-tag"),
          accept: r.headers.get("Accept"),
          cookie: r.headers.get("cookie"),
          authorization: r.headers.get("authorization"),
          userAgent: r.headers.get("user-agent"),
          // And as the Headers Next builds from the same IncomingMessage.
          next: ["x-tag", "accept", "cookie", "authorization", "user-agent"].map((name) => nextHeaders(req).get(name)),
        }),
      );
      expect(seen).toMatchObject({ tag: "a, b", accept: "application/json, text/plain", cookie: "a=1; b=2", authorization: "Bearer first", userAgent: "one" });
      expect(seen.next).toEqual([seen.tag, seen.accept, seen.cookie, seen.authorization, seen.userAgent]);
    });

    it("iterates lower-case names, sorted, with their values, as a Headers does", async () => {
      const head = [
        "POST /api/v1/keys HTTP/1.1",
        "Host: keyhold.test",
        "Zeta: last",
        "X-Tag: a",
        "X-Tag: b",
        "Content-Type: application/json",
        "accept: */*",
        "Content-Length: 2",
        "Connection: close",
        "",
      ].join("\n");
      const seen = await onRequest(
        (port) => raw(port, head, "{}"),
        (r, req) => ({
          entries: [...r.headers],
          entriesCall: [...r.headers.entries()],
          keys: [...r.headers.keys()],
          values: [...r.headers.values()],
          forEach: (() => {
            const pairs: [string, string][] = [];
            r.headers.forEach((value, name, parent) => {
              expect(parent).toBe(r.headers);
              pairs.push([name, value]);
            });
            return pairs;
          })(),
          next: [...nextHeaders(req)],
        }),
      );
      expect(seen.entries).toEqual([
        ["accept", "*/*"],
        ["connection", "close"],
        ["content-length", "2"],
        ["content-type", "application/json"],
        ["host", "keyhold.test"],
        ["x-tag", "a, b"],
        ["zeta", "last"],
      ]);
      expect(seen.entries).toEqual(seen.next);
      expect(seen.entriesCall).toEqual(seen.entries);
      expect(seen.forEach).toEqual(seen.entries);
      expect(seen.keys).toEqual(seen.entries.map(([name]) => name));
      expect(seen.values).toEqual(seen.entries.map(([, value]) => value));
    });

    it("gives Set-Cookie values one by one, as a Headers does", async () => {
      const head = ["GET / HTTP/1.1", "Host: keyhold.test", "Set-Cookie: a=1", "Set-Cookie: b=2", "Connection: close", ""].join("\n");
      const seen = await onRequest(
        (port) => raw(port, head),
        (r, req) => {
          const list = r.headers.getSetCookie();
          list.push("c=3");
          return {
            list,
            entries: [...r.headers].filter(([name]) => name === "set-cookie"),
            next: [...nextHeaders(req)].filter(([name]) => name === "set-cookie"),
            again: r.headers.getSetCookie(),
            raw: req.headers["set-cookie"],
          };
        },
      );
      expect(seen.list).toEqual(["a=1", "b=2", "c=3"]);
      expect(seen.entries).toEqual(seen.next);
      // The array handed out is the caller's: changing it changes neither the request's view nor the IncomingMessage.
      expect(seen.again).toEqual(["a=1", "b=2"]);
      expect(seen.raw).toEqual(["a=1", "b=2"]);

      const replaced = await onRequest(
        (port) => raw(port, head),
        (r) => {
          r.headers.set("Set-Cookie", "z=9");
          return r.headers.getSetCookie();
        },
      );
      expect(replaced).toEqual(["z=9"]);
    });

    it("keeps set, append and delete in the handler's view: the IncomingMessage's headers (the request log's) are unchanged", async () => {
      const seen = await onRequest(
        (port) => request(port, { headers: { "X-Request-Id": "req_1", "X-Tag": "a", Authorization: "Bearer k" } }),
        (r, req) => {
          const before = structuredClone(req.headers);
          r.headers.set("X-Request-Id", "changed");
          r.headers.append("x-tag", "b");
          r.headers.append("x-new", "n");
          r.headers.delete("Authorization");
          return {
            view: {
              id: r.headers.get("x-request-id"),
              tag: r.headers.get("x-tag"),
              added: r.headers.get("X-New"),
              auth: r.headers.get("authorization"),
              hasAuth: r.headers.has("authorization"),
            },
            names: [...r.headers.keys()],
            before,
            after: structuredClone(req.headers),
            again: new DispatchedRequest(req).headers.get("authorization"),
          };
        },
      );
      expect(seen.view).toEqual({ id: "changed", tag: "a, b", added: "n", auth: null, hasAuth: false });
      expect(seen.names).toContain("x-new");
      expect(seen.names).not.toContain("authorization");
      expect(seen.after).toEqual(seen.before);
      expect(seen.after).toMatchObject({ "x-request-id": "req_1", "x-tag": "a", authorization: "Bearer k" });
      expect(seen.after["x-new"]).toBeUndefined();
      expect(seen.again).toBe("Bearer k");
    });
  });

  describe("URL", () => {
    it("builds nextUrl and url from the Host header and the request target, as Next does", async () => {
      const path = "/api/v1/keys/key%2Fx?limit=5&name=a%20b&name=c&q=%E2%9C%93";
      const seen = await onRequest(
        (port) => request(port, { path, headers: { Host: "keyhold.example.com:8443" } }),
        (r) => ({
          url: r.url,
          href: r.nextUrl.href,
          pathname: r.nextUrl.pathname,
          search: r.nextUrl.search,
          names: r.nextUrl.searchParams.getAll("name"),
          limit: r.nextUrl.searchParams.get("limit"),
          q: r.nextUrl.searchParams.get("q"),
        }),
      );
      expect(seen).toEqual({
        url: `http://keyhold.example.com:8443${path}`,
        href: `http://keyhold.example.com:8443${path}`,
        pathname: "/api/v1/keys/key%2Fx",
        search: "?limit=5&name=a%20b&name=c&q=%E2%9C%93",
        names: ["a b", "c"],
        limit: "5",
        q: "✓",
      });
    });

    it.each([
      ["a name", "keyhold.test", "http://keyhold.test/api/v1/whoami?x=1"],
      ["a name with a port", "keyhold.test:3000", "http://keyhold.test:3000/api/v1/whoami?x=1"],
      ["an IPv4 address", "127.0.0.1:3000", "http://127.0.0.1:3000/api/v1/whoami?x=1"],
      ["an IPv6 address", "[::1]:3000", "http://[::1]:3000/api/v1/whoami?x=1"],
      ["an upper-case name", "KeyHold.Test", "http://keyhold.test/api/v1/whoami?x=1"],
    ])("uses a Host header that is %s", async (_label, host, expected) => {
      const head = `GET /api/v1/whoami?x=1 HTTP/1.1\nHost: ${host}\nConnection: close\n`;
      expect(
        await onRequest(
          (port) => raw(port, head),
          (r) => r.url,
        ),
      ).toBe(expected);
    });

    it.each([
      ["a path", "evil.test/other"],
      ["user info", "user@evil.test"],
      ["a space", "evil test"],
      ["a query", "evil.test?x"],
      ["nothing", ""],
      ["a port out of range", "keyhold.test:99999"],
      ["an IPv4 address out of range", "999.1.1.1"],
      ["a bracketed non-IPv6 address", "[1.2.3.4]"],
    ])("uses localhost when the Host header has %s", async (_label, host) => {
      const head = `GET /api/v1/whoami?x=1 HTTP/1.1\nHost: ${host}\nConnection: close\n`;
      const seen = await onRequest(
        (port) => raw(port, head),
        (r) => ({ url: r.url, pathname: r.nextUrl.pathname, x: r.nextUrl.searchParams.get("x") }),
      );
      expect(seen).toEqual({ url: "http://localhost/api/v1/whoami?x=1", pathname: "/api/v1/whoami", x: "1" });
    });

    it.each(["/api/v1/whoami", "/api/v1/keys/key_1.x~y/addresses", "/api/health/live"])(
      "reads the query-less path %s as URL would, without parsing it",
      async (path) => {
        const seen = await onRequest(
          (port) => request(port, { path, headers: { Host: "KeyHold.Test:3000" } }),
          (r) => ({ url: r.url, href: r.nextUrl.href, pathname: r.nextUrl.pathname, search: r.nextUrl.search, params: [...r.nextUrl.searchParams] }),
        );
        const url = new URL(`http://KeyHold.Test:3000${path}`);
        expect(seen).toEqual({ url: url.href, href: url.href, pathname: url.pathname, search: "", params: [] });
      },
    );

    it("uses localhost when there is no Host header (HTTP/1.0)", async () => {
      const seen = await onRequest(
        (port) => raw(port, "GET /api/health/live HTTP/1.0\n"),
        (r) => r.url,
      );
      expect(seen).toBe("http://localhost/api/health/live");
    });
  });

  describe("body", () => {
    it.each(["GET", "HEAD"])("is null for %s", async (method) => {
      expect(
        await onRequest(
          (port) => request(port, { method, path: "/api/v1/whoami" }),
          (r) => r.body,
        ),
      ).toBeNull();
    });

    it("ends at once for a POST without a body", async () => {
      const seen = await onRequest(
        (port) => request(port, { method: "POST", headers: { "Content-Length": "0" } }),
        (r) => readAll(r),
      );
      expect(seen.bytes.length).toBe(0);
    });

    it("gives exactly the bytes of a Content-Length body, then stays done", async () => {
      const sent = randomBytes(300_000);
      const seen = await onRequest(
        (port) => request(port, { method: "POST", headers: { "Content-Length": String(sent.length) }, body: [sent] }),
        async (r) => {
          const all = await readAll(r);
          return { ...all, after: await r.body!.getReader().read() };
        },
      );
      expect(seen.bytes.equals(sent)).toBe(true);
      expect(seen.after).toEqual({ done: true, value: undefined });
    });

    it("gives exactly the bytes of a chunked body sent in pieces with pauses, as they arrive", async () => {
      const pieces = [randomBytes(10), randomBytes(70_000), Buffer.from("{"), randomBytes(1), randomBytes(4_000)];
      const seen = await onRequest(
        (port) => request(port, { method: "PUT", body: pieces, pauseMs: 40 }),
        async (r, req) => ({ chunked: req.headers["transfer-encoding"], ...(await readAll(r)) }),
      );
      expect(seen.chunked).toBe("chunked");
      expect(seen.bytes.equals(Buffer.concat(pieces))).toBe(true);
      // Read as they came, not only once the last one was in.
      expect(seen.reads).toBeGreaterThan(1);
    });

    it("lets the server still answer after cancel(), with the client's body left unread", async () => {
      const body = Array.from({ length: 16 }, () => randomBytes(64 * 1024));
      let cancelled = false;
      const port = await serve(async (req, res) => {
        if (req.method === "GET") return void res.end("next");
        const reader = new DispatchedRequest(req).body!.getReader();
        const first = await reader.read();
        await reader.cancel();
        cancelled = true;
        res.writeHead(413, { "content-type": "application/json" }).end(JSON.stringify({ read: first.value?.byteLength }));
      });
      const answer = await within(
        request(port, { method: "POST", headers: { "Content-Length": String(16 * 64 * 1024) }, body, pauseMs: 5 }),
        10_000,
        "the answer",
      );
      expect(cancelled).toBe(true);
      expect(answer.status).toBe(413);
      expect(JSON.parse(answer.body).read).toBeGreaterThan(0);
      // And the server goes on answering.
      expect(await request(port, { path: "/next" })).toEqual({ status: 200, body: "next" });
    });

    it("rejects a pending read when the client hangs up mid-body, instead of hanging", async () => {
      const head = "POST /api/v1/keys HTTP/1.1\nHost: keyhold.test\nContent-Type: application/json\nContent-Length: 1000\n";
      let firstRead!: () => void;
      const hangUp = new Promise<void>((resolve) => (firstRead = resolve));
      const outcome = await onRequest(
        (port) => raw(port, head, '{"name":"half', { hangUpWhen: hangUp }),
        async (r) => {
          const reader = r.body!.getReader();
          const first = await within(reader.read(), 5_000, "the first read");
          // The client hangs up while the next read waits for the rest.
          const next = within(reader.read(), 5_000, "the read after the hang-up");
          firstRead();
          return {
            first: Buffer.from(first.value!).toString(),
            next: await next.then(
              () => "resolved",
              (error: Error) => error.message,
            ),
          };
        },
      );
      expect(outcome.first).toBe('{"name":"half');
      expect(outcome.next).not.toMatch(/still pending/);
      expect(outcome.next).not.toBe("resolved");
    });

    it("rejects a read that starts after the client hung up mid-body, instead of hanging", async () => {
      const head = "POST /api/v1/keys HTTP/1.1\nHost: keyhold.test\nContent-Type: application/json\nContent-Length: 1000\n";
      const outcome = await onRequest(
        (port) => raw(port, head, '{"name":"half', { hangUpWhen: Promise.resolve() }),
        async (r, req) => {
          // A handler that was busy (looking up the key) while the client went away.
          if (!req.closed) await new Promise((resolve) => req.once("close", resolve));
          const reader = r.body!.getReader();
          const results: string[] = [];
          for (let i = 0; i < 5; i++) {
            const result = await within(reader.read(), 2_000, "a read after the hang-up").then(
              ({ done }) => (done ? "done" : "chunk"),
              (error: Error) => (error.message.includes("still pending") ? error.message : "rejected"),
            );
            results.push(result);
            if (result !== "chunk") break;
          }
          return results;
        },
      );
      expect(outcome.at(-1)).toBe("rejected");
    });
  });
});
