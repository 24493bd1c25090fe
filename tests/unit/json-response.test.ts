import { describe, expect, it } from "vitest";

import { jsonResponse, jsonTextOf } from "../../lib/api/json-response";

// lib/api/json-response.ts: jsonResponse must answer as Response.json does, whatever a caller
// reads of it (Next reads its body; the dispatcher takes its text). Each case compares it with
// Response.json given the same arguments.

const data = { id: "key_1", name: "billing", scopes: ["orders:read"], note: "é ✓ \u2028", count: 3, nested: { ok: true, none: null } };
const expectedText = JSON.stringify(data);

type Init = { status?: number; headers?: HeadersInit };
const both = (value: unknown = data, init?: Init) => ({ lazy: jsonResponse(value, init), real: Response.json(value, init) });

async function bytesOf(stream: ReadableStream<Uint8Array> | null): Promise<Uint8Array> {
  if (stream === null) throw new Error("expected a body stream");
  const chunks: Uint8Array[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

const utf8 = (text: string) => new Uint8Array(Buffer.from(text, "utf8"));

/** What the thrown error is, or null when nothing is thrown. */
function thrown(make: () => unknown): { type: string; message: string } | null {
  try {
    make();
    return null;
  } catch (error) {
    return { type: (error as Error).constructor.name, message: (error as Error).message };
  }
}

describe("jsonResponse", () => {
  it("is a Response with Response.json's status, ok, statusText and headers", () => {
    for (const init of [undefined, { status: 201 }, { status: 404 }, { status: 503 }]) {
      const { lazy, real } = both(data, init);
      expect(lazy).toBeInstanceOf(Response);
      expect(lazy.status).toBe(real.status);
      expect(lazy.ok).toBe(real.ok);
      expect(lazy.statusText).toBe(real.statusText);
      expect([...lazy.headers]).toEqual([...real.headers]);
    }
    // Response.json takes a status as an unsigned short: 201.9 is 201.
    expect(jsonResponse(data, { status: 201.9 }).status).toBe(Response.json(data, { status: 201.9 }).status);
    expect(jsonResponse(data).status).toBe(200);
    expect(jsonResponse(data).ok).toBe(true);
    expect(jsonResponse(data, { status: 404 }).ok).toBe(false);
    expect(jsonResponse(data).headers.get("content-type")).toBe("application/json");
  });

  it("keeps a caller's own content-type and other headers, as Response.json does", () => {
    const headers = { "Content-Type": "application/problem+json", "Retry-After": "30", "X-Custom": "a" };
    const { lazy, real } = both(data, { status: 429, headers });
    expect(lazy.headers.get("content-type")).toBe("application/problem+json");
    expect([...lazy.headers]).toEqual([...real.headers]);
    const fromHeaders = jsonResponse(data, { headers: new Headers([["content-type", "text/plain"]]) });
    expect(fromHeaders.headers.get("content-type")).toBe("text/plain");
  });

  it("gives the same body through .json(), .text(), .arrayBuffer(), .blob() and .bytes()", async () => {
    expect(await jsonResponse(data).json()).toEqual(await Response.json(data).json());
    expect(await jsonResponse(data).text()).toBe(expectedText);
    expect(await jsonResponse(data).text()).toBe(await Response.json(data).text());
    expect(new Uint8Array(await jsonResponse(data).arrayBuffer())).toEqual(utf8(expectedText));
    const blob = await jsonResponse(data).blob();
    expect(blob.type).toBe((await Response.json(data).blob()).type);
    expect(await blob.text()).toBe(expectedText);
    const withBytes = jsonResponse(data) as Response & { bytes?: () => Promise<Uint8Array> };
    if (typeof withBytes.bytes === "function") expect(new Uint8Array(await withBytes.bytes())).toEqual(utf8(expectedText));
  });

  it("gives the same bytes through its body stream, and through a new Response of that stream (as Next reads it)", async () => {
    const lazy = jsonResponse(data);
    expect(lazy.body).toBeInstanceOf(ReadableStream);
    expect(await bytesOf(lazy.body)).toEqual(utf8(expectedText));
    expect(await bytesOf(Response.json(data).body)).toEqual(utf8(expectedText));

    const source = jsonResponse(data, { status: 201, headers: { "x-custom": "a" } });
    const rewrapped = new Response(source.body, { status: source.status, statusText: source.statusText, headers: new Headers(source.headers) });
    expect(rewrapped.status).toBe(201);
    expect(rewrapped.headers.get("content-type")).toBe("application/json");
    expect(rewrapped.headers.get("x-custom")).toBe("a");
    expect(new Uint8Array(await rewrapped.arrayBuffer())).toEqual(utf8(expectedText));
  });

  it("marks its body used once read, and refuses a second read, as Response.json does", async () => {
    const { lazy, real } = both();
    expect(lazy.bodyUsed).toBe(false);
    await lazy.text();
    await real.text();
    expect(lazy.bodyUsed).toBe(true);
    await expect(lazy.text()).rejects.toThrow(TypeError);
    await expect(real.text()).rejects.toThrow(TypeError);
  });

  it("clones into an independent Response with the same status, headers and body", async () => {
    const original = jsonResponse(data, { status: 201, headers: { "x-custom": "a" } });
    const copy = original.clone();
    expect(copy).toBeInstanceOf(Response);
    expect(copy.status).toBe(201);
    expect(copy.headers.get("x-custom")).toBe("a");
    expect(copy.headers.get("content-type")).toBe("application/json");
    expect(await copy.text()).toBe(expectedText);
    expect(await original.text()).toBe(expectedText);
  });

  it("has Response.json's type, url and redirected", () => {
    const { lazy, real } = both();
    expect(lazy.type).toBe(real.type);
    expect(lazy.url).toBe(real.url);
    expect(lazy.redirected).toBe(real.redirected);
  });

  it("keeps headers set on response.headers after creation once its body is read", async () => {
    const response = jsonResponse(data, { headers: { "x-before": "1" } });
    response.headers.set("x-request-id", "req_1");
    response.headers.append("vary", "accept");
    response.headers.delete("x-before");
    response.headers.set("content-type", "application/vnd.keyhold+json");
    expect(await response.text()).toBe(expectedText);
    expect(response.headers.get("x-request-id")).toBe("req_1");
    expect(response.headers.get("vary")).toBe("accept");
    expect(response.headers.has("x-before")).toBe(false);
    expect(response.headers.get("content-type")).toBe("application/vnd.keyhold+json");
    // And in a clone made after the change.
    const late = jsonResponse(data);
    late.headers.set("x-late", "yes");
    expect(late.clone().headers.get("x-late")).toBe("yes");
    // And after the body was read, further changes are kept as on a Response.
    response.headers.set("x-after", "2");
    expect(response.headers.get("x-after")).toBe("2");
  });

  it("serializes as Response.json does (undefined fields dropped, toJSON called, arrays and primitives)", async () => {
    for (const value of [{ a: undefined, b: 1 }, { when: new Date(0) }, [1, "two", null], "text", 42, null, true]) {
      expect(await jsonResponse(value).text()).toBe(await Response.json(value).text());
    }
  });

  it("throws where Response.json throws: a value JSON cannot write, a status out of range or one without a body", () => {
    const cases: [unknown, Init | undefined][] = [
      [undefined, undefined],
      [() => 1, undefined],
      [Symbol("x"), undefined],
      [1n, undefined],
      [data, { status: 199 }],
      [data, { status: 600 }],
      [data, { status: 204 }],
      [data, { status: 205 }],
      [data, { status: 304 }],
      [data, { headers: { "bad name": "x" } }],
    ];
    for (const [value, init] of cases) {
      const expected = thrown(() => Response.json(value, init));
      expect(expected, `Response.json(${String(value)}, ${JSON.stringify(init)})`).not.toBeNull();
      expect(thrown(() => jsonResponse(value, init))?.type, `jsonResponse(${String(value)}, ${JSON.stringify(init)})`).toBe(expected?.type);
    }
  });
});

describe("jsonTextOf", () => {
  it("returns the JSON text of a jsonResponse", () => {
    expect(jsonTextOf(jsonResponse(data))).toBe(expectedText);
    expect(jsonTextOf(jsonResponse([1, 2], { status: 400 }))).toBe("[1,2]");
    expect(jsonTextOf(jsonResponse(null))).toBe("null");
  });

  it("returns undefined for any other Response, Response.json's and a jsonResponse's clone included", () => {
    expect(jsonTextOf(Response.json(data))).toBeUndefined();
    expect(jsonTextOf(new Response(expectedText, { headers: { "content-type": "application/json" } }))).toBeUndefined();
    expect(jsonTextOf(new Response(null, { status: 204 }))).toBeUndefined();
    expect(jsonTextOf(jsonResponse(data).clone())).toBeUndefined();
  });
});
