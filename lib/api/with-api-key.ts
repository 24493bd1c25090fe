import type { Actor } from "../access/actor";
import { env } from "../env";
import type { CachedKey } from "../keys/cache";
import { useCost } from "../keys/verify-schemas";
import { recordKeyUse } from "../observability/record-key-use";
import { noteRequestKey } from "../observability/request-context";
import type { ApiRequest } from "./api-request";
import { authenticate } from "./authenticate";
import { clientIp } from "./client-ip";
import { bindContract } from "./contract/bind-contract";
import type { BodyOf, PathParams, QueryOf, ResponseOf, RouteContract } from "./contract/route-contract";
import { errorResponse } from "./errors";
import { jsonResponse } from "./json-response";
import { rateLimitHeaders } from "./ratelimit-headers";
import { readJson } from "./read-json";
import { readQuery } from "./read-query";

export interface ApiKeyContext<Contract extends RouteContract> {
  key: CachedKey;
  /** The key as the actor of what the handler does, for authorization and the audit log. */
  actor: Actor;
  params: Promise<PathParams<Contract["path"]>>;
  ip: string | null;
  /** The body parsed by the contract's schema; called by the handler, so a 404 can come first. */
  body(): Promise<BodyOf<Contract>>;
  /** The query string parsed by the contract's schema. */
  query(): QueryOf<Contract>;
  /** The contract's success answer, parsed through its schema so nothing else can leave. */
  respond(data: ResponseOf<Contract>): Response;
}

type Handler<Contract extends RouteContract> = (request: ApiRequest, context: ApiKeyContext<Contract>) => Promise<Response>;

/**
 * Protects a route handler: `export const GET = withApiKey(contracts.listKeys, handler)`.
 * The handler runs only for a verified key holding every scope of the contract, used from an
 * address its allowlist admits; each call spends the contract's `cost` (default 1) of the key's
 * quota. Every call, allowed or not, becomes a usage event.
 */
export function withApiKey<const Contract extends RouteContract>(contract: Contract, handler: Handler<Contract>) {
  const scopes = contract.scopes ?? [];
  // A cost outside 1..1000 is a programming error: refuse it when the route loads, not per request.
  const cost = useCost.parse(contract.cost ?? 1);
  return bindContract(contract, async (request: ApiRequest, route: { params: Promise<PathParams<Contract["path"]>> }): Promise<Response> => {
    const started = performance.now();
    const ip = clientIp(request.headers, env().KEYHOLD_TRUSTED_PROXIES);
    const auth = await authenticate(request.headers, request.nextUrl, ip, scopes, cost);
    const keyId = auth.ok ? auth.key.id : auth.keyId;
    const outcome = auth.ok ? "valid" : auth.error.code;
    const verificationMs = performance.now() - started;
    // Noted before the handler runs, so a request whose client hangs up mid-handler is still
    // logged with its key.
    noteRequestKey(keyId, outcome);

    let response: Response;
    if (auth.ok) {
      try {
        const actor: Actor = { type: "key", id: auth.key.id, scopes: auth.key.scopes, ip };
        response = await handler(request, { key: auth.key, actor, params: route.params, ip, ...parsers(contract, request) });
      } catch (error) {
        response = errorResponse(error);
      }
      if (auth.ratelimit) {
        for (const [name, value] of Object.entries(rateLimitHeaders(auth.ratelimit))) response.headers.set(name, value);
      }
    } else {
      response = errorResponse(auth.error);
    }

    recordKeyUse({
      keyId,
      outcome,
      verificationMs,
      method: request.method,
      path: request.nextUrl.pathname,
      status: response.status,
      latencyMs: performance.now() - started,
      ip,
      cost,
    });
    return response;
  });
}

function parsers<Contract extends RouteContract>(contract: Contract, request: ApiRequest) {
  return {
    body: async () => {
      if (!contract.body) throw new Error(`${contract.operationId} declares no body`);
      return (await readJson(request, contract.body.schema, { optional: contract.body.optional })) as BodyOf<Contract>;
    },
    query: () => {
      if (!contract.query) throw new Error(`${contract.operationId} declares no query`);
      return readQuery(request.nextUrl, contract.query) as QueryOf<Contract>;
    },
    respond: (data: ResponseOf<Contract>) => respond(contract, data),
  };
}

/** The contract's success answer: its status, and the body parsed through its schema. */
export function respond(contract: RouteContract, data: unknown): Response {
  if (contract.success.status === 202 || contract.success.status === 204) return new Response(null, { status: contract.success.status });
  const body = contract.success.schema ? contract.success.schema.parse(data) : data;
  return jsonResponse(body, { status: contract.success.status });
}
