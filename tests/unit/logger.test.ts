import { Writable } from "node:stream";

import { describe, expect, it, vi } from "vitest";

import { generateKey } from "../../lib/keys/format";
import { createLogger, logPath, logRequest, requestLogEntry, type LogLevel } from "../../lib/observability/logger";
import { noteRequestKey, noteVerifiedKey, requestContextStorage, requestIdFrom, type RequestContext } from "../../lib/observability/request-context";

// The per-request log line (lib/observability). That the server writes exactly one per request,
// and that no key reaches the output of a full run, is tested end to end in
// tests/e2e/observability.spec.ts.

function capture(level: LogLevel) {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      lines.push(...chunk.toString().split("\n").filter(Boolean));
      callback();
    },
  });
  return { lines, log: createLogger(level, stream) };
}

describe("requestIdFrom", () => {
  it("keeps a client's id that is short and made of safe characters", () => {
    expect(requestIdFrom("abc-123_DEF.9")).toBe("abc-123_DEF.9");
    expect(requestIdFrom("a".repeat(64))).toBe("a".repeat(64));
  });

  it("replaces anything else with a new id", () => {
    const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
    for (const bad of [undefined, null, "", "a".repeat(65), "has space", "line\nbreak", "<script>", "a,b", ["one", "two"]]) {
      expect(requestIdFrom(bad)).toMatch(uuid);
    }
    expect(requestIdFrom(undefined)).not.toBe(requestIdFrom(undefined));
  });
});

describe("logPath", () => {
  it("drops the query string and redacts anything shaped like a key", () => {
    const key = generateKey("live");
    expect(logPath("/api/v1/whoami?api_key=secret&x=1")).toBe("/api/v1/whoami");
    expect(logPath(`/api/v1/keys/${key}/usage`)).toBe("/api/v1/keys/kh_live_[redacted]/usage");
    expect(logPath(undefined)).toBe("");
    expect(logPath(`/${"a".repeat(5000)}`).length).toBe(2048);
  });
});

describe("request context", () => {
  it("collects the key and outcome noted by route code during the request", async () => {
    const context: RequestContext = { id: "req-1" };
    await requestContextStorage().run(context, async () => {
      await Promise.resolve();
      noteRequestKey("key_abc", "valid");
      await new Promise((resolve) => setTimeout(resolve, 1));
      noteVerifiedKey(null, "invalid_key");
    });
    expect(context).toEqual({ id: "req-1", keyId: "key_abc", outcome: "valid", verifiedKeyId: null, verifiedOutcome: "invalid_key" });
  });

  it("ignores notes made outside a request", () => {
    expect(() => noteRequestKey("key_abc", "valid")).not.toThrow();
  });

  it("shares one storage with every copy of the module (the server's and Next's bundles)", async () => {
    const storage = requestContextStorage();
    vi.resetModules();
    const again = await import("../../lib/observability/request-context");
    expect(again.requestContextStorage()).toBe(storage);
  });
});

describe("request log line", () => {
  it("is one JSON line with the request's id, method, path, status, latency, key id and outcome", () => {
    const { lines, log } = capture("info");
    const context: RequestContext = { id: "req-42", keyId: "key_123", outcome: "valid" };
    logRequest(log, requestLogEntry({ context, method: "GET", url: "/api/v1/whoami?x=1", status: 200, latencyMs: 1.23456 }));
    expect(lines).toHaveLength(1);
    const line = JSON.parse(lines[0]!);
    expect(line).toMatchObject({
      level: 30,
      msg: "request",
      requestId: "req-42",
      method: "GET",
      path: "/api/v1/whoami",
      status: 200,
      latencyMs: 1.23,
      keyId: "key_123",
      outcome: "valid",
    });
    expect(typeof line.time).toBe("string");
    expect(line).not.toHaveProperty("verifiedOutcome");
  });

  it("has no key fields for requests that are not API-key requests, and names odd methods OTHER", () => {
    const entry = requestLogEntry({ context: { id: "r" }, method: "BREW", url: "/", status: 404, latencyMs: 0.5 });
    expect(entry).toEqual({ requestId: "r", method: "OTHER", path: "/", status: 404, latencyMs: 0.5 });
  });

  it("says when the client hung up before the response was done", () => {
    const entry = requestLogEntry({ context: { id: "r" }, method: "GET", url: "/", status: 200, latencyMs: 1, aborted: true });
    expect(entry.aborted).toBe(true);
  });

  it("honours the level: server errors at error, the rest at info, nothing when silent", () => {
    const entry = (status: number) => requestLogEntry({ context: { id: "r" }, method: "GET", url: "/", status, latencyMs: 1 });
    const warn = capture("warn");
    logRequest(warn.log, entry(200));
    logRequest(warn.log, entry(401));
    logRequest(warn.log, entry(500));
    expect(warn.lines.map((line) => JSON.parse(line).status)).toEqual([500]);
    expect(JSON.parse(warn.lines[0]!).level).toBe(50);

    const silent = capture("silent");
    logRequest(silent.log, entry(500));
    expect(silent.lines).toEqual([]);
  });
});
