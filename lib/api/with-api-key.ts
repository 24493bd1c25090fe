import type { NextRequest } from "next/server";
import type { Actor } from "../auth/actor";
import { env } from "../env";
import type { KeyRecord } from "../keys/cache";
import { recordVerification } from "../observability/metrics";
import { noteRequestKey } from "../observability/request-context";
import { useCost } from "../keys/verify-schemas";
import { getUsageRecorder } from "../usage/recorder";
import { authenticate } from "./authenticate";
import { clientIp } from "./client-ip";
import { errorResponse } from "./errors";
import { rateLimitHeaders } from "./ratelimit-headers";

export interface ApiKeyContext<Params> {
  key: KeyRecord;
  /** The key as the actor of what the handler does, for authorization and the audit log. */
  actor: Actor;
  params: Promise<Params>;
  ip: string | null;
}

type Handler<Params> = (request: NextRequest, context: ApiKeyContext<Params>) => Promise<Response>;

/**
 * Protects a route handler: `export const GET = withApiKey({ scopes: ["orders:read"] }, handler)`.
 * The handler runs only for a verified key holding every scope, used from an address its
 * allowlist admits; each call spends `cost` (default 1) of the key's quota. Every call, allowed
 * or not, becomes a usage event.
 */
export function withApiKey<Params = Record<string, string>>(options: { scopes?: readonly string[]; cost?: number }, handler: Handler<Params>) {
  const scopes = options.scopes ?? [];
  // A cost outside 1..1000 is a programming error: refuse it when the route loads, not per request.
  const cost = useCost.parse(options.cost ?? 1);
  return async (request: NextRequest, route: { params: Promise<Params> }): Promise<Response> => {
    const started = performance.now();
    const ip = clientIp(request.headers, env().KEYHOLD_TRUST_PROXY);
    const auth = await authenticate(request.headers, request.nextUrl, ip, scopes, cost);
    const keyId = auth.ok ? auth.key.id : auth.keyId;
    const outcome = auth.ok ? "valid" : auth.error.code;
    recordVerification(outcome, (performance.now() - started) / 1000);
    noteRequestKey(keyId, outcome);

    let response: Response;
    if (auth.ok) {
      try {
        const actor: Actor = { type: "key", id: auth.key.id, scopes: auth.key.scopes, ip };
        response = await handler(request, { key: auth.key, actor, params: route.params, ip });
      } catch (error) {
        response = errorResponse(error);
      }
      if (auth.ratelimit) {
        for (const [name, value] of Object.entries(rateLimitHeaders(auth.ratelimit))) response.headers.set(name, value);
      }
    } else {
      response = errorResponse(auth.error);
    }

    getUsageRecorder().record({
      keyId,
      outcome,
      method: request.method,
      path: request.nextUrl.pathname,
      status: response.status,
      latencyMs: performance.now() - started,
      ip,
      cost,
      at: new Date(),
    });
    return response;
  };
}
