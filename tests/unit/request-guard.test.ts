import http from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { guardRequest } from "../../lib/server/request-guard";

// DESIGN.md section 15.7: every route, /api/auth/* included, refuses a body over 64 KiB with 413
// before reading it whole. The handler behind the guard reads every body into memory the way
// next-auth does, and says how many bytes it got: an attack that got through shows up there.
// The guard's other refusal, a key in the query, is recorded as usage, which needs a database:
// tests/integration/request-guard.test.ts.

const LIMIT = 64 * 1024;

let server: http.Server;
let port: number;
let reachedHandler: { url: string; bytes: number }[];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (guardRequest(req, res)) return;
    const chunks: Buffer[] = [];
    let bytes = 0;
    req.on("data", (chunk: Buffer) => {
      bytes += chunk.length;
      chunks.push(chunk);
    });
    req.on("end", () => {
      reachedHandler.push({ url: req.url ?? "", bytes });
      res.end(JSON.stringify({ bytes: Buffer.concat(chunks).length }));
    });
    req.on("error", () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  reachedHandler = [];
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** POSTs `total` bytes in 16 KiB chunks, chunked unless `declare` sends a Content-Length. */
function post(path: string, total: number, declare = false): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" };
    if (declare) headers["content-length"] = String(total);
    const req = http.request({ port, host: "127.0.0.1", method: "POST", path, headers }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    let sent = 0;
    const chunk = Buffer.alloc(16 * 1024, "a");
    const more = () => {
      while (sent < total) {
        const piece = chunk.subarray(0, Math.min(chunk.length, total - sent));
        sent += piece.length;
        if (!req.write(piece)) return void req.once("drain", more);
      }
      req.end();
    };
    // A refused upload stops being read: the writer's error is the expected end of it.
    req.on("response", () => (sent = total));
    more();
  });
}

describe("guardRequest: bodies over 64 KiB", () => {
  it("refuses a declared 100 MB sign-in body with 413 JSON before anything reads it", async () => {
    const answer = await new Promise<Answer>((resolve, reject) => {
      const req = http.request(
        { port, host: "127.0.0.1", method: "POST", path: "/api/auth/callback/credentials", headers: { "content-length": String(100 * 1024 * 1024) } },
        (res) => {
          let body = "";
          res.on("data", (chunk) => (body += chunk));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      req.write(Buffer.alloc(1024));
    });
    expect(answer.status).toBe(413);
    expect(answer.headers["content-type"]).toBe("application/json");
    expect(answer.headers["cache-control"]).toBe("no-store");
    expect(JSON.parse(answer.body)).toEqual({ error: { code: "payload_too_large", message: expect.stringContaining("64 KiB") } });
    expect(reachedHandler).toEqual([]);
  });

  it("refuses a chunked sign-in body once it passes 64 KiB, so the reader never holds more than that", async () => {
    const answer = await post("/api/auth/callback/credentials", 4 * 1024 * 1024);
    expect(answer.status).toBe(413);
    expect(JSON.parse(answer.body).error.code).toBe("payload_too_large");
    // The handler never saw the end of the body: it never answered and never read past the limit.
    expect(reachedHandler).toEqual([]);
  });

  it("refuses a large body on a page route too, in plain text", async () => {
    const answer = await post("/login", 200 * 1024);
    expect(answer.status).toBe(413);
    expect(answer.headers["content-type"]).toMatch(/^text\/plain/);
    expect(reachedHandler).toEqual([]);
  });

  it.each([
    ["declared", true],
    ["chunked", false],
  ])("passes a %s body of exactly 64 KiB through whole", async (_, declare) => {
    const answer = await post("/api/auth/callback/credentials", LIMIT, declare);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ bytes: LIMIT });
  });

  it("keeps serving after refusals", async () => {
    await Promise.all([post("/api/auth/signin", 1024 * 1024), post("/api/auth/signin", 1024 * 1024)]);
    expect((await post("/api/auth/signin", 10)).status).toBe(200);
  });
});
