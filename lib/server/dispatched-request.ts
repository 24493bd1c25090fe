import type { IncomingHttpHeaders, IncomingMessage } from "node:http";

import type { ApiRequest, BodySource, RequestUrl } from "../api/api-request";

// The request the dispatcher hands a route handler: what ApiRequest promises, read straight off
// Node's IncomingMessage. Headers are looked up in Node's own (already lower-cased, duplicates
// already joined) object instead of being copied into an undici Headers; the URL is built only
// if the handler asks, and the body is read without a web stream. The same idea as
// @hono/node-server's lightweight Request, for the same reason: building web-standard objects
// cost more than the verification.

const HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

export class DispatchedRequest implements ApiRequest {
  readonly method: string;
  readonly headers: Headers;
  #req: IncomingMessage;
  #url: RequestUrl | undefined;
  #body: IncomingBody | null | undefined;

  constructor(req: IncomingMessage) {
    this.#req = req;
    this.method = req.method ?? "GET";
    this.headers = new IncomingHeaders(req.headers);
  }

  get url(): string {
    return this.nextUrl.href;
  }

  get nextUrl(): RequestUrl {
    if (this.#url === undefined) {
      const path = this.#req.url ?? "/";
      // Most API requests carry no query: their path is the pathname as it stands (the dispatcher
      // takes only canonical paths, which URL would leave unchanged), and nothing is parsed.
      this.#url = path.includes("?") ? absoluteUrl(this.#req.headers.host, path) : new PathOnlyUrl(path, this.#req.headers.host);
    }
    return this.#url;
  }

  get body(): IncomingBody | null {
    if (this.#body === undefined) this.#body = this.method === "GET" || this.method === "HEAD" ? null : new IncomingBody(this.#req);
    return this.#body;
  }
}

// The handlers read only the path and the query. The host is the Host header's when that names
// one, else localhost: some that look like one are not (a port over 65535, 999.1.1.1, [1.2.3.4])
// and URL refuses them, and a header the client chose must not fail the request.
function absoluteUrl(host: string | undefined, path: string): URL {
  return (host !== undefined && HOST.test(host) && URL.parse(`http://${host}${path}`)) || new URL(`http://localhost${path}`);
}

/** A query-less request's URL: its path as it came, the rest built only when read. */
class PathOnlyUrl implements RequestUrl {
  readonly search = "";
  #host: string | undefined;
  #searchParams: URLSearchParams | undefined;

  constructor(
    readonly pathname: string,
    host: string | undefined,
  ) {
    this.#host = host;
  }

  get searchParams(): URLSearchParams {
    return (this.#searchParams ??= new URLSearchParams());
  }

  get href(): string {
    return absoluteUrl(this.#host, this.pathname).href;
  }
}

/** The request's headers as a Headers, backed by Node's object; changes stay in this copy's view. */
class IncomingHeaders implements Headers {
  #raw: IncomingHttpHeaders;
  #copied = false;

  constructor(raw: IncomingHttpHeaders) {
    this.#raw = raw;
  }

  get(name: string): string | null {
    const value = this.#raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(", ") : value;
  }

  has(name: string): boolean {
    return this.#raw[name.toLowerCase()] !== undefined;
  }

  getSetCookie(): string[] {
    // A copy, as Headers gives: the caller's to change. A string once set() replaced the list.
    const value = this.#raw["set-cookie"] as string[] | string | undefined;
    return value === undefined ? [] : typeof value === "string" ? [value] : [...value];
  }

  set(name: string, value: string): void {
    this.#own()[name.toLowerCase()] = value;
  }

  append(name: string, value: string): void {
    const current = this.get(name);
    this.set(name, current === null ? value : `${current}, ${value}`);
  }

  delete(name: string): void {
    delete this.#own()[name.toLowerCase()];
  }

  forEach(callback: (value: string, key: string, parent: Headers) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  *entries(): HeadersIterator<[string, string]> {
    // Sorted by name, as Headers iterates.
    for (const name of Object.keys(this.#raw).sort()) {
      // Set-Cookie values one by one, as Headers iterates them.
      if (name === "set-cookie") for (const value of this.getSetCookie()) yield [name, value];
      else {
        const value = this.get(name);
        if (value !== null) yield [name, value];
      }
    }
  }

  *keys(): HeadersIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): HeadersIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): HeadersIterator<[string, string]> {
    return this.entries();
  }

  // A handler that changes a header changes its own view, never the IncomingMessage the request
  // log and the guard read.
  #own(): IncomingHttpHeaders {
    if (!this.#copied) this.#raw = { ...this.#raw };
    this.#copied = true;
    return this.#raw;
  }
}

/**
 * The request body, read chunk by chunk as a ReadableStream's reader would give it, without
 * building one (a web stream costs more to set up than a verification). A handler that stops
 * reading (a body over the limit) cancels it; the rest is then read and dropped, as Next does, so
 * the answer still reaches the client: destroying the request would reset the connection first.
 */
class IncomingBody implements BodySource {
  #req: IncomingMessage;

  constructor(req: IncomingMessage) {
    this.#req = req;
  }

  getReader() {
    return this;
  }

  read(): Promise<ReadableStreamReadResult<Uint8Array>> {
    const req = this.#req;
    const chunk = req.read() as Buffer | null;
    if (chunk !== null) return Promise.resolve({ done: false, value: chunk });
    if (req.readableEnded) return Promise.resolve({ done: true, value: undefined });
    // Gone before this read: its close (or error) has been and will not come again.
    if (req.destroyed) return Promise.reject(req.errored ?? new Error("the request body ended early"));
    return new Promise((resolve, reject) => {
      const settle = (then: () => void) => () => {
        req.off("readable", onReadable).off("end", onEnd).off("error", onError).off("close", onClose);
        then();
      };
      const onReadable = settle(() => resolve(this.read()));
      const onEnd = settle(() => resolve({ done: true, value: undefined }));
      const onError = (error: Error) => settle(() => reject(error))();
      // The client hung up, or the request guard refused the rest of a streamed body.
      const onClose = settle(() => reject(new Error("the request body ended early")));
      req.once("readable", onReadable).once("end", onEnd).once("error", onError).once("close", onClose);
    });
  }

  cancel(): Promise<void> {
    this.#req.resume();
    return Promise.resolve();
  }
}
