// What the API's handlers read of a request: withApiKey, readJson, readQuery and the public
// routes use this much and no more. Next hands them a NextRequest, which has it all; Keyhold's
// dispatcher (lib/server/dispatched-request.ts) builds only this, because a NextRequest costs
// more CPU than the rest of a verification (an undici Request, an AbortSignal, headers copied
// twice, the URL parsed twice, and a ReadableStream for the body).
export interface ApiRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Headers;
  readonly nextUrl: RequestUrl;
  readonly body: BodySource | null;
}

/** What readJson needs of a body: a ReadableStream has it, and so has the dispatcher's lighter reader. */
export interface BodySource {
  getReader(): {
    read(): Promise<ReadableStreamReadResult<Uint8Array>>;
    cancel(): Promise<void>;
  };
}

/** The parts of a request's URL the API reads. */
export type RequestUrl = Pick<URL, "pathname" | "search" | "searchParams" | "href">;
