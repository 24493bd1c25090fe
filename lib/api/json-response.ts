// Every JSON answer of the API. It behaves as Response.json's, but builds the undici Response
// (and with it a ReadableStream over the body) only when something reads more than its status,
// headers and text: Next reads its body and gets a real one; Keyhold's dispatcher takes the text
// (jsonTextOf) and writes it, which saves a stream, its read-back and a copy per request (the
// same trick as @hono/node-server's lightweight Response).

const TEXT = Symbol("keyhold.jsonText");

class JsonResponse {
  readonly status: number;
  readonly [TEXT]: string;
  #headers: Headers;
  #real: Response | undefined;

  constructor(text: string, status: number, headers: Headers) {
    this[TEXT] = text;
    this.status = status;
    this.#headers = headers;
  }

  get headers(): Headers {
    return this.#real?.headers ?? this.#headers;
  }

  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  real(): Response {
    this.#real ??= new Response(this[TEXT], { status: this.status, headers: this.#headers });
    return this.#real;
  }
}

// `instanceof Response` holds, and whatever JsonResponse does not answer itself comes from the
// real Response, built on first use.
Object.setPrototypeOf(JsonResponse.prototype, Response.prototype);
for (const name of ["body", "bodyUsed", "redirected", "statusText", "type", "url"] as const) {
  Object.defineProperty(JsonResponse.prototype, name, {
    get(this: JsonResponse) {
      return this.real()[name];
    },
  });
}
for (const name of (["arrayBuffer", "blob", "bytes", "clone", "formData", "json", "text"] as const).filter((name) => name in Response.prototype)) {
  Object.defineProperty(JsonResponse.prototype, name, {
    value(this: JsonResponse) {
      return this.real()[name]();
    },
  });
}

const NULL_BODY_STATUS = new Set([204, 205, 304]);

/** `Response.json(data, init)`, built lazily. */
export function jsonResponse(data: unknown, init: { status?: number; headers?: HeadersInit } = {}): Response {
  const text = JSON.stringify(data) as string | undefined;
  const status = init.status ?? 200;
  // What Response.json refuses (undefined, a function; a status out of 200-599 or one that has
  // no body) or rounds (a fractional status), it answers itself: thrown here, not when Next
  // reads the body, and never written by the dispatcher.
  if (text === undefined || !Number.isInteger(status) || status < 200 || status > 599 || NULL_BODY_STATUS.has(status)) return Response.json(data, init);
  const headers = new Headers(init.headers);
  if (!headers.has("content-type")) headers.set("content-type", "application/json");
  return new JsonResponse(text, status, headers) as unknown as Response;
}

/** The body of a jsonResponse as text, or undefined for any other Response. */
export function jsonTextOf(response: Response): string | undefined {
  return response instanceof JsonResponse ? response[TEXT] : undefined;
}
