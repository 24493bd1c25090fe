import { z } from "zod";

import { ERROR_CODES, type ErrorCode } from "../../errors/error-codes";
import { errorCodesOf } from "../contract/error-codes-of";
import type { RouteContract } from "../contract/route-contract";
import { errorBody } from "../errors";
import { schemaRef, type Json } from "./component-schemas";
import { RATELIMIT_HEADERS, STATUS_TEXT } from "./fixed-parts";

// One contract as an OpenAPI operation.

export function operation(contract: RouteContract): Json {
  const parameters = [...pathParameters(contract), ...queryParameters(contract)];
  const success: Json = { description: contract.success.description };
  if (contract.scopes !== null) success.headers = RATELIMIT_HEADERS;
  const content = successContent(contract);
  if (content) success.content = content;

  const responses: Record<string, Json> = { [String(contract.success.status)]: success, ...errorResponses(contract) };
  for (const other of contract.otherResponses ?? []) {
    responses[String(other.status)] = { description: other.description, content: { "application/json": { schema: schemaRef(other.schema) } } };
  }

  return {
    operationId: contract.operationId,
    summary: contract.summary,
    description: [access(contract), contract.description].filter(Boolean).join("\n\n"),
    tags: [contract.tag],
    ...(parameters.length > 0 ? { parameters } : {}),
    ...(contract.body
      ? {
          requestBody: {
            required: !contract.body.optional,
            ...(contract.body.optional ? { description: "May be empty: an empty body counts as `{}`." } : {}),
            content: { "application/json": { schema: schemaRef(contract.body.schema) } },
          },
        }
      : {}),
    responses,
    // OpenAPI 3.1 lets non-OAuth requirements list roles; the scopes are that role list.
    security: contract.scopes === null ? [] : [{ bearerAuth: [...contract.scopes] }, { apiKeyAuth: [...contract.scopes] }],
    ...(contract.scopes === null ? {} : { "x-required-scopes": [...contract.scopes] }),
  };
}

function successContent(contract: RouteContract): Json | undefined {
  const { status, schema, contentType } = contract.success;
  if (status === 202 || status === 204) return undefined;
  if (contentType) return { [contentType]: { schema: { type: "string" } } };
  return { "application/json": { schema: schema ? schemaRef(schema) : { type: "object" } } };
}

function access(contract: RouteContract): string {
  if (contract.scopes === null) return "Public: no key needed.";
  if (contract.scopes.length === 0) return "Any valid key; no scope needed.";
  return `Requires scope${contract.scopes.length > 1 ? "s" : ""} ${contract.scopes.map((scope) => `\`${scope}\``).join(", ")}.`;
}

function pathParameters(contract: RouteContract): Json[] {
  return [...contract.path.matchAll(/\{(\w+)\}/g)].map(([, name]) => ({
    name,
    in: "path",
    required: true,
    ...(contract.pathDocs?.[name] ? { description: contract.pathDocs[name] } : {}),
    schema: { type: "string" },
  }));
}

function queryParameters(contract: RouteContract): Json[] {
  if (!contract.query) return [];
  const schema = z.toJSONSchema(contract.query, { target: "draft-2020-12", io: "input" }) as Json;
  const properties = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  return Object.entries(properties).map(([name, property]) => ({
    name,
    in: "query",
    required: required.has(name),
    ...(contract.queryDocs?.[name] ? { description: contract.queryDocs[name] } : {}),
    schema: property,
  }));
}

function errorResponses(contract: RouteContract): Record<string, Json> {
  const byStatus = new Map<number, ErrorCode[]>();
  for (const code of errorCodesOf(contract)) {
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
          examples: Object.fromEntries(codes.map((code) => [code, { value: example(contract, code) }])),
        },
      },
    };
  }
  return responses;
}

function example(contract: RouteContract, code: ErrorCode): Json {
  const details = code === "insufficient_scope" ? { details: { required: contract.scopes } } : {};
  return { error: { code, message: ERROR_CODES[code].message, ...details } };
}
