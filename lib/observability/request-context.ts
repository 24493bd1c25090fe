import { AsyncLocalStorage } from "node:async_hooks";
import { randomUUID } from "node:crypto";

import { processSingleton } from "../process/process-singleton";

// What one request's log line says beyond what the server sees itself: the key and outcome,
// which only the route code (withApiKey, the verify endpoint) knows. The HTTP server opens a
// context per request; route code fills it in; the server writes it out when the response ends.

export interface RequestContext {
  readonly id: string;
  /** The key that authenticated the request (its id, never the key). */
  keyId?: string | null;
  outcome?: string;
  /** POST /api/v1/keys/verify: the key verified on a service's behalf, and its outcome. */
  verifiedKeyId?: string | null;
  verifiedOutcome?: string;
}

// Next bundles route code apart from the server that opens the context, so both copies of this
// module must find the one storage or the route would never see the server's store.
export function requestContextStorage(): AsyncLocalStorage<RequestContext> {
  return processSingleton("keyholdRequestContext", () => new AsyncLocalStorage<RequestContext>());
}

// Anything else is replaced: the id is echoed in a header and written to the log, so a client
// must not be able to put newlines, markup or a megabyte into either.
const REQUEST_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** The client's X-Request-Id when it is safe to reuse, else a new one. */
export function requestIdFrom(incoming: string | string[] | undefined | null): string {
  return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Records who authenticated the current request and how; a no-op outside a request. */
export function noteRequestKey(keyId: string | null, outcome: string): void {
  const context = requestContextStorage().getStore();
  if (context) {
    context.keyId = keyId;
    context.outcome = outcome;
  }
}

/** Records the key verified on a service's behalf during the current request. */
export function noteVerifiedKey(keyId: string | null, outcome: string): void {
  const context = requestContextStorage().getStore();
  if (context) {
    context.verifiedKeyId = keyId;
    context.verifiedOutcome = outcome;
  }
}
