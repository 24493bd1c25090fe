import { describe, expect, it } from "vitest";
import { z } from "zod";

import { MAX_BODY_BYTES, readJson } from "../../lib/api/read-json";
import { ApiError } from "../../lib/errors/api-error";

const URL_ = "https://keyhold.test/api/v1/keys";
const schema = z.strictObject({
  name: z.string(),
  scopes: z.array(z.string()).optional(),
  ratelimit: z.strictObject({ limit: z.number().int(), windowMs: z.number().int() }).optional(),
});

function post(body: BodyInit | null, headers: Record<string, string> = {}): Request {
  return new Request(URL_, { method: "POST", body, headers: { "Content-Type": "application/json", ...headers } });
}

function streamed(stream: ReadableStream<Uint8Array>): Request {
  // Node's fetch needs duplex: "half" for a stream body; the DOM typings do not know it yet.
  return new Request(URL_, { method: "POST", body: stream, duplex: "half" } as RequestInit);
}

async function refusal(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApiError);
    return error as ApiError;
  }
  throw new Error("expected readJson to refuse the body");
}

/** A JSON object of exactly `bytes` bytes. */
function jsonOfSize(bytes: number): string {
  const empty = JSON.stringify({ name: "" });
  return JSON.stringify({ name: "x".repeat(bytes - empty.length) });
}

describe("readJson", () => {
  it("returns the parsed, validated body", async () => {
    const data = await readJson(post(JSON.stringify({ name: "billing", scopes: ["orders:read"] })), schema);
    expect(data).toEqual({ name: "billing", scopes: ["orders:read"] });
  });

  it("refuses invalid JSON with 400 bad_request saying so", async () => {
    const error = await refusal(readJson(post('{"name": "billing",'), schema));
    expect(error.code).toBe("bad_request");
    expect(error.status).toBe(400);
    expect(error.message).toMatch(/not valid JSON/);
  });

  it.each([
    ["an empty body", ""],
    ["a body of whitespace", "  \n\t "],
  ])("refuses %s with 400 bad_request saying it is empty", async (_label, text) => {
    const error = await refusal(readJson(post(text), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toMatch(/empty/i);
  });

  it("refuses a request with no body at all", async () => {
    const error = await refusal(readJson(new Request(URL_, { method: "POST" }), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toMatch(/empty/i);
  });

  it("names unknown fields in the message", async () => {
    const error = await refusal(readJson(post(JSON.stringify({ name: "billing", owner: "x", hash: "y" })), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toMatch(/unknown field/i);
    expect(error.message).toContain("owner");
    expect(error.message).toContain("hash");
    expect(error.details).toEqual([expect.objectContaining({ code: "unrecognized_keys" })]);
  });

  it("names a single unknown field", async () => {
    const error = await refusal(readJson(post(JSON.stringify({ name: "billing", environmnet: "test" })), schema));
    expect(error.message).toMatch(/unknown field/i);
    expect(error.message).toContain("environmnet");
  });

  it("names a nested unknown field", async () => {
    const error = await refusal(readJson(post(JSON.stringify({ name: "a", ratelimit: { limit: 1, windowMs: 1000, burst: 5 } })), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toContain("burst");
  });

  it("names fields of the wrong type, nested ones by their path", async () => {
    const error = await refusal(readJson(post(JSON.stringify({ name: 5, ratelimit: { limit: "ten", windowMs: 1000 } })), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toContain("name");
    expect(error.message).toContain("ratelimit.limit");
    const paths = (error.details as { path: string }[]).map((issue) => issue.path).sort();
    expect(paths).toEqual(["name", "ratelimit.limit"]);
  });

  it("names a missing required field", async () => {
    const error = await refusal(readJson(post(JSON.stringify({ scopes: [] })), schema));
    expect(error.code).toBe("bad_request");
    expect(error.message).toContain("name");
  });

  it.each(["[]", "null", '"billing"', "42"])("refuses the JSON value %s where an object is expected", async (text) => {
    const error = await refusal(readJson(post(text), schema));
    expect(error.code).toBe("bad_request");
  });

  it("accepts a body of exactly 64 KiB", async () => {
    const text = jsonOfSize(MAX_BODY_BYTES);
    expect(Buffer.byteLength(text)).toBe(64 * 1024);
    const data = await readJson(post(text, { "Content-Length": String(MAX_BODY_BYTES) }), schema);
    expect(data.name).toHaveLength(MAX_BODY_BYTES - JSON.stringify({ name: "" }).length);
  });

  it("refuses a declared Content-Length over 64 KiB with 413, before reading the body", async () => {
    // The body itself is tiny: only the declared length can trigger the refusal.
    const error = await refusal(readJson(post('{"name":"a"}', { "Content-Length": String(64 * 1024 + 1) }), schema));
    expect(error.code).toBe("payload_too_large");
    expect(error.status).toBe(413);
  });

  it("refuses a body one byte over 64 KiB even without Content-Length", async () => {
    const request = post(jsonOfSize(64 * 1024 + 1));
    expect(request.headers.get("Content-Length")).toBeNull();
    expect((await refusal(readJson(request, schema))).code).toBe("payload_too_large");
  });

  it("refuses a long chunked body with 413, stopping soon after 64 KiB", async () => {
    let pulled = 0;
    let cancelled = false;
    const chunk = new TextEncoder().encode(" ".repeat(8 * 1024));
    // 200 chunks (1.6 MB) of whitespace: read to the end, it would be refused as empty instead.
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled += 1;
        if (pulled > 200) controller.close();
        else controller.enqueue(chunk);
      },
      cancel() {
        cancelled = true;
      },
    });
    const request = streamed(stream);
    expect(request.headers.get("Content-Length")).toBeNull();
    const error = await refusal(readJson(request, schema));
    expect(error.code).toBe("payload_too_large");
    expect(cancelled).toBe(true);
    expect(pulled).toBeLessThan(20); // 64 KiB is 8 chunks; a few more may be buffered
  });

  it("accepts a chunked body under the limit, decoding characters split across chunks", async () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ name: "Zoë 🔑 billing" }));
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        // One byte per chunk: every multi-byte character is split.
        for (const byte of bytes) controller.enqueue(new Uint8Array([byte]));
        controller.close();
      },
    });
    expect(await readJson(streamed(stream), schema)).toEqual({ name: "Zoë 🔑 billing" });
  });
});

describe("readJson: nested unknown fields", () => {
  it("names a nested unknown field with its parent path", async () => {
    const schema = z.strictObject({ ratelimit: z.strictObject({ limit: z.number() }) });
    const request = new Request("https://keyhold.test/", { method: "POST", body: JSON.stringify({ ratelimit: { limit: 1, burst: 2 } }) });
    await expect(readJson(request, schema)).rejects.toMatchObject({ code: "bad_request", message: "Unknown field: ratelimit.burst." });
  });
});
