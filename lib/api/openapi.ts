import { z } from "zod";
import type { ManagementScope } from "../keys/management-scopes";
import {
  createKeyRequest,
  keyRecord,
  keyWithSecret,
  listKeysQuery,
  listKeysResponse,
  revokeKeyRequest,
  rotateKeyRequest,
  updateKeyRequest,
  usageQuery,
  usageResponse,
} from "../keys/schemas";
import { verifyKeyRequest, verifyKeyResponse, whoamiResponse } from "../keys/verify-schemas";
import { createScopeRequest, listScopesResponse, scopeRecord } from "../scopes/schemas";
import { ERROR_CODES, type ErrorCode } from "./error-codes";

// The OpenAPI 3.1 description of DESIGN.md section 7. Every body and response schema is generated
// from the zod schema its handler parses with, so the document cannot drift from what the API
// accepts and answers; tests/unit/openapi.test.ts checks API_ROUTES against the route files.

type Json = Record<string, unknown>;

// errors.ts builds the error body by hand and the health route answers literals, so these two
// shapes have no zod schema elsewhere; the code enum still comes from the one table of codes.
const errorBody = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_CODES) as [ErrorCode, ...ErrorCode[]]),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});
const healthResponse = z.strictObject({ status: z.enum(["ok", "degraded"]), database: z.enum(["up", "down"]) });

// Requests are described as clients may send them (io "input": defaults make a field optional),
// responses as the server emits them (io "output").
const REQUEST_SCHEMAS = {
  CreateKeyRequest: createKeyRequest,
  UpdateKeyRequest: updateKeyRequest,
  RotateKeyRequest: rotateKeyRequest,
  RevokeKeyRequest: revokeKeyRequest,
  VerifyKeyRequest: verifyKeyRequest,
  CreateScopeRequest: createScopeRequest,
} satisfies Record<string, z.ZodType>;

const RESPONSE_SCHEMAS = {
  KeyRecord: keyRecord,
  KeyWithSecret: keyWithSecret,
  KeyList: listKeysResponse,
  Usage: usageResponse,
  VerifyKeyResult: verifyKeyResponse,
  Whoami: whoamiResponse,
  Scope: scopeRecord,
  ScopeList: listScopesResponse,
  Health: healthResponse,
  Error: errorBody,
} satisfies Record<string, z.ZodType>;

export interface ApiRoute {
  method: "GET" | "POST" | "PATCH";
  /** OpenAPI path template; `{id}` is the `[id]` folder under app/. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: "keys" | "scopes" | "verification" | "service";
  /** null: public. Otherwise the scopes of the handler's `withApiKey({ scopes })`; [] is any valid key. */
  scopes: readonly ManagementScope[] | null;
  query?: z.ZodObject;
  queryDocs?: Record<string, string>;
  /** The schema the handler's readJson parses with; it must be one of REQUEST_SCHEMAS. */
  body?: { schema: z.ZodType; optional?: boolean };
  /** The schema the handler's answer is parsed through; one of RESPONSE_SCHEMAS, null for no fixed shape. */
  success: { status: 200 | 201; schema: z.ZodType | null; description: string };
  /** Answers that are neither the success nor the error contract. */
  otherResponses?: readonly { status: number; schema: z.ZodType; description: string }[];
  /** Refusals the handler itself can give, beyond those implied by auth, body, query and `{id}`. */
  errors?: readonly ErrorCode[];
}

const ID_DOC = "The key id, `key_` and 22 base62 characters. Any other value, or an id that does not exist, is 404 `not_found`.";

export const API_ROUTES: readonly ApiRoute[] = [
  {
    method: "GET",
    path: "/api/health",
    operationId: "getHealth",
    summary: "Liveness and database reachability",
    tag: "service",
    scopes: null,
    success: { status: 200, schema: healthResponse, description: "Up, and the database answers." },
    otherResponses: [{ status: 503, schema: healthResponse, description: "Degraded: the database cannot be reached." }],
  },
  {
    method: "GET",
    path: "/api/openapi.json",
    operationId: "getOpenApiDocument",
    summary: "This OpenAPI 3.1 document",
    tag: "service",
    scopes: null,
    success: { status: 200, schema: null, description: "The OpenAPI 3.1 document." },
  },
  {
    method: "GET",
    path: "/api/v1/whoami",
    operationId: "whoami",
    summary: "The calling key's identity",
    tag: "keys",
    scopes: [],
    success: { status: 200, schema: whoamiResponse, description: "The key that made the request." },
  },
  {
    method: "POST",
    path: "/api/v1/keys/verify",
    operationId: "verifyKey",
    summary: "Verify a key for another service",
    description:
      "An invalid key is not an error here: the answer is 200 `{valid: false, code}` with a code from the error contract. " +
      "The verification counts against the verified key's rate limit and quota and is a usage event of that key. " +
      "`cost` (1 to 1000, default 1) is what it spends from the quota: more than `remaining` is `quota_exceeded` and spends nothing. " +
      "`ip` is the address the key was presented from, checked against the key's `ipAllowlist`; a key with an allowlist " +
      "verified without `ip` is `{valid: false, code: \"ip_not_allowed\"}`.",
    tag: "verification",
    scopes: ["keys:verify"],
    body: { schema: verifyKeyRequest },
    success: { status: 200, schema: verifyKeyResponse, description: "Whether the key is valid for the scopes asked for." },
  },
  {
    method: "POST",
    path: "/api/v1/keys",
    operationId: "createKey",
    summary: "Issue a key",
    description:
      "The plaintext `key` is in this response only; store it now. Every scope must be in the catalogue unless it is a " +
      "management scope, and a management scope can only be given by a key that holds it (403 `insufficient_scope`).",
    tag: "keys",
    scopes: ["keys:write"],
    body: { schema: createKeyRequest },
    success: { status: 201, schema: keyWithSecret, description: "The new key record and its plaintext `key`, shown once." },
  },
  {
    method: "GET",
    path: "/api/v1/keys",
    operationId: "listKeys",
    summary: "List keys, newest first",
    description: "Cursor pagination: pass the `nextCursor` of one page as `cursor` to get the next. Unknown query parameters are 400.",
    tag: "keys",
    scopes: ["keys:read"],
    query: listKeysQuery,
    queryDocs: {
      ownerId: "Only keys of this owner.",
      status: "Only keys in this state.",
      scope: "Only keys holding this scope.",
      environment: "Only keys of this environment.",
      q: "Keys whose name contains this (any case) or whose first 12 characters start with it.",
      cursor: "The `nextCursor` of the previous page.",
      limit: "Page size, 1 to 100.",
    },
    success: { status: 200, schema: listKeysResponse, description: "One page of key records." },
  },
  {
    method: "GET",
    path: "/api/v1/keys/{id}",
    operationId: "getKey",
    summary: "One key, never its secret or hash",
    tag: "keys",
    scopes: ["keys:read"],
    success: { status: 200, schema: keyRecord, description: "The key record." },
  },
  {
    method: "PATCH",
    path: "/api/v1/keys/{id}",
    operationId: "updateKey",
    summary: "Change a key's name, scopes, expiry, rate limit, quota, refill, IP allowlist or metadata",
    description:
      "Send at least one field; fields not sent are unchanged, `null` clears a nullable one. Setting `remaining` to null " +
      "clears the refill too; a refill on a key without a quota starts it at the refill amount.",
    tag: "keys",
    scopes: ["keys:write"],
    body: { schema: updateKeyRequest },
    success: { status: 200, schema: keyRecord, description: "The updated key record." },
  },
  {
    method: "POST",
    path: "/api/v1/keys/{id}/rotate",
    operationId: "rotateKey",
    summary: "Replace a key with a new one with the same settings",
    description:
      "The new key keeps name, owner, environment, scopes, rate limit, quota, refill, IP allowlist and meta, and names the old one in `rotatedFromId`. " +
      "The old key expires after `gracePeriodSeconds`. A revoked key cannot be rotated (409 `conflict`).",
    tag: "keys",
    scopes: ["keys:write"],
    body: { schema: rotateKeyRequest, optional: true },
    success: { status: 201, schema: keyWithSecret, description: "The new key record and its plaintext `key`, shown once." },
    errors: ["conflict"],
  },
  {
    method: "POST",
    path: "/api/v1/keys/{id}/revoke",
    operationId: "revokeKey",
    summary: "Revoke a key at once",
    description: "Revoking a revoked key is not an error: the first revocation's time and reason stand.",
    tag: "keys",
    scopes: ["keys:write"],
    body: { schema: revokeKeyRequest, optional: true },
    success: { status: 200, schema: keyRecord, description: "The revoked key record." },
  },
  {
    method: "GET",
    path: "/api/v1/keys/{id}/usage",
    operationId: "getKeyUsage",
    summary: "Verifications of a key per time bucket and outcome",
    description: "Only buckets with events are listed, and each bucket's `counts` holds only the outcomes that occurred.",
    tag: "keys",
    scopes: ["usage:read"],
    query: usageQuery,
    queryDocs: {
      from: "Start of the range, ISO 8601. Defaults to 24 hours before `to`.",
      to: "End of the range, ISO 8601. Defaults to now.",
      granularity: "Bucket size.",
    },
    success: { status: 200, schema: usageResponse, description: "The series over the effective range, which is echoed." },
  },
  {
    method: "GET",
    path: "/api/v1/scopes",
    operationId: "listScopes",
    summary: "The scope catalogue",
    description: "`keyCount` counts the keys holding the scope that are not revoked.",
    tag: "scopes",
    scopes: ["keys:read"],
    success: { status: 200, schema: listScopesResponse, description: "Every scope in the catalogue." },
  },
  {
    method: "POST",
    path: "/api/v1/scopes",
    operationId: "createScope",
    summary: "Add a scope to the catalogue",
    description: "Management scopes are reserved and cannot be added. A name that exists is 409 `conflict`.",
    tag: "scopes",
    scopes: ["keys:write"],
    body: { schema: createScopeRequest },
    success: { status: 201, schema: scopeRecord, description: "The new scope." },
    errors: ["conflict"],
  },
];

const AUTH_ERRORS: readonly ErrorCode[] = [
  "key_in_query",
  "ambiguous_key",
  "missing_key",
  "invalid_key",
  "expired_key",
  "revoked_key",
  "ip_not_allowed",
  "rate_limited",
  "quota_exceeded",
  "unavailable",
];

/** Every error code an operation can answer, derived from what the route does. */
export function errorCodesOf(route: ApiRoute): ErrorCode[] {
  if (route.scopes === null) return [];
  const codes = new Set<ErrorCode>(AUTH_ERRORS);
  if (route.scopes.length > 0) codes.add("insufficient_scope");
  if (route.body || route.query) codes.add("bad_request");
  if (route.body) codes.add("payload_too_large");
  if (route.path.includes("{id}")) codes.add("not_found");
  for (const code of route.errors ?? []) codes.add(code);
  codes.add("internal_error");
  return [...codes];
}

const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    description: "An API key as `Authorization: Bearer <key>`. Keys match `^kh_(live|test)_[0-9A-Za-z]{38}$`.",
  },
  apiKeyAuth: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key as `X-API-Key: <key>`. Sending both headers with different keys is 400 `ambiguous_key`.",
  },
};

const RATELIMIT_HEADERS = {
  "RateLimit-Limit": { $ref: "#/components/headers/RateLimit-Limit" },
  "RateLimit-Remaining": { $ref: "#/components/headers/RateLimit-Remaining" },
  "RateLimit-Reset": { $ref: "#/components/headers/RateLimit-Reset" },
};

const HEADERS = {
  "RateLimit-Limit": { description: "The key's request limit per window; sent when the key has a limit.", schema: { type: "integer" } },
  "RateLimit-Remaining": { description: "Requests left in the current window.", schema: { type: "integer" } },
  "RateLimit-Reset": { description: "Whole seconds until the window resets.", schema: { type: "integer" } },
  "Retry-After": { description: "Whole seconds to wait before retrying.", schema: { type: "integer" } },
  "WWW-Authenticate": { description: "`Bearer realm=\"keyhold\"`, with `error=\"invalid_token\"` when a key was sent.", schema: { type: "string" } },
};

const STATUS_TEXT: Record<number, string> = {
  400: "Bad request",
  401: "Unauthenticated",
  403: "Forbidden",
  404: "Not found",
  409: "Conflict",
  413: "Payload too large",
  429: "Too many requests",
  500: "Internal error",
  503: "Unavailable",
};

const componentNames = new Map<z.ZodType, string>(
  [...Object.entries(REQUEST_SCHEMAS), ...Object.entries(RESPONSE_SCHEMAS)].map(([name, schema]) => [schema, name]),
);

function schemaRef(schema: z.ZodType): Json {
  const name = componentNames.get(schema);
  if (!name) throw new Error("OpenAPI: a route uses a schema missing from REQUEST_SCHEMAS or RESPONSE_SCHEMAS");
  return { $ref: `#/components/schemas/${name}` };
}

// One registry per direction: a schema used both ways would otherwise get a single rendering.
function componentSchemas(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(schemas)) registry.add(schema, { id });
  const { schemas: out } = z.toJSONSchema(registry, { target: "draft-2020-12", io, uri: (id) => `#/components/schemas/${id}` });
  // $schema is implied by the document's dialect, and a fragment-only $id is not a valid identifier.
  return Object.fromEntries(
    Object.entries(out).map(([id, schema]) => {
      const rest: Json = { ...schema };
      delete rest.$schema;
      delete rest.$id;
      return [id, rest];
    }),
  );
}

function queryParameters(route: ApiRoute): Json[] {
  if (!route.query) return [];
  const schema = z.toJSONSchema(route.query, { target: "draft-2020-12", io: "input" }) as Json;
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    ...(route.queryDocs?.[name] ? { description: route.queryDocs[name] } : {}),
    schema: property,
  }));
}

function errorResponses(route: ApiRoute): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(route)) {
    const status = ERROR_CODES[code].status;
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  const responses: Record<string, Json> = {};
  for (const [status, codes] of [...byStatus].sort(([a], [b]) => a - b)) {
    const headers: Json = {};
    if (status === 401) headers["WWW-Authenticate"] = { $ref: "#/components/headers/WWW-Authenticate" };
    if (status === 429) Object.assign(headers, { "Retry-After": { $ref: "#/components/headers/Retry-After" } }, RATELIMIT_HEADERS);
    responses[String(status)] = {
      description: `${STATUS_TEXT[status]}: ${codes.map((code) => `\`${code}\``).join(", ")}.`,
      ...(Object.keys(headers).length > 0 ? { headers } : {}),
      content: {
        "application/json": {
          schema: schemaRef(errorBody),
          examples: Object.fromEntries(
            codes.map((code) => [
              code,
              {
                value: {
                  error: {
                    code,
                    message: ERROR_CODES[code].message,
                    ...(code === "insufficient_scope" ? { details: { required: route.scopes } } : {}),
                  },
                },
              },
            ]),
          ),
        },
      },
    };
  }
  return responses;
}

function operation(route: ApiRoute): Json {
  const parameters: Json[] = [];
  if (route.path.includes("{id}")) {
    parameters.push({ name: "id", in: "path", required: true, description: ID_DOC, schema: { type: "string" } });
  }
  parameters.push(...queryParameters(route));

  const protectedRoute = route.scopes !== null;
  const access =
    route.scopes === null
      ? "Public: no key needed."
      : route.scopes.length === 0
        ? "Any valid key; no scope needed."
        : `Requires scope${route.scopes.length > 1 ? "s" : ""} ${route.scopes.map((scope) => `\`${scope}\``).join(", ")}.`;

  const success: Json = { description: route.success.description };
  if (protectedRoute) success.headers = RATELIMIT_HEADERS;
  success.content = { "application/json": { schema: route.success.schema ? schemaRef(route.success.schema) : { type: "object" } } };

  const responses: Record<string, Json> = { [String(route.success.status)]: success, ...errorResponses(route) };
  for (const other of route.otherResponses ?? []) {
    responses[String(other.status)] = { description: other.description, content: { "application/json": { schema: schemaRef(other.schema) } } };
  }

  return {
    operationId: route.operationId,
    summary: route.summary,
    description: [access, route.description].filter(Boolean).join("\n\n"),
    tags: [route.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: !route.body.optional,
            ...(route.body.optional ? { description: "May be empty: an empty body counts as `{}`." } : {}),
            content: { "application/json": { schema: schemaRef(route.body.schema) } },
          },
        }
      : {}),
    responses,
    // OpenAPI 3.1 lets non-OAuth requirements list roles; the scopes are that role list.
    security: route.scopes === null ? [] : [{ bearerAuth: [...route.scopes] }, { apiKeyAuth: [...route.scopes] }],
    ...(route.scopes === null ? {} : { "x-required-scopes": [...route.scopes] }),
  };
}

function build(): Json {
  const requests = componentSchemas(REQUEST_SCHEMAS, "input");
  const responses = componentSchemas(RESPONSE_SCHEMAS, "output");
  const clash = Object.keys(requests).filter((name) => name in responses);
  if (clash.length > 0) throw new Error(`OpenAPI schema names used for both a request and a response: ${clash.join(", ")}`);

  const paths: Record<string, Record<string, Json>> = {};
  for (const route of API_ROUTES) {
    paths[route.path] ??= {};
    paths[route.path][route.method.toLowerCase()] = operation(route);
  }

  return {
    openapi: "3.1.1",
    info: {
      title: "Keyhold API",
      version: "1",
      description:
        "Self-hosted API key management. Present a key as `Authorization: Bearer <key>` or `X-API-Key: <key>`, never in the URL. " +
        "Every error is `{error: {code, message, details?}}`. JSON field names are camelCase, times are ISO 8601 in UTC, " +
        "and absent values are `null`. Request bodies are strict: unknown fields are 400 `bad_request`.",
    },
    tags: [
      { name: "keys", description: "Issue, read, change, rotate and revoke keys." },
      { name: "scopes", description: "The scope catalogue." },
      { name: "verification", description: "Verify keys for other services." },
      { name: "service", description: "Health and this document." },
    ],
    paths,
    components: {
      schemas: { ...requests, ...responses },
      headers: HEADERS,
      securitySchemes: SECURITY_SCHEMES,
    },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document of the HTTP API, built once per process. */
export function buildOpenApiDocument(): object {
  cached ??= build();
  return cached;
}
