import { readdirSync } from "node:fs";
import path from "node:path";

import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { z } from "zod";

import type { BoundHandler } from "../../lib/api/contract/bind-contract";
import { errorCodesOf } from "../../lib/api/contract/error-codes-of";
import { routeFileOf } from "../../lib/api/contract/route-file";
import { API_CONTRACTS, contracts } from "../../lib/api/contract/routes";
import { buildOpenApiDocument } from "../../lib/api/openapi/build-document";
import { ERROR_CODES } from "../../lib/errors/error-codes";
import * as keySchemas from "../../lib/keys/schemas";

// Importing every route module transforms most of lib/ on a cold start: those tests get a minute.
// The document is checked against the OpenAPI 3.1 specification, and the contract table behind
// it against the route files through their modules: each contract's handler is exported by the
// route file at its path and bound to that contract, and every other method a file exports
// answers 405 naming exactly the contracts' methods.

type Json = Record<string, unknown>;
interface Operation {
  operationId: string;
  security: Record<string, string[]>[];
  "x-required-scopes"?: string[];
  parameters?: { name: string; in: string; required: boolean; schema: Json }[];
  requestBody?: { required: boolean; content: Record<string, { schema: Json }> };
  responses: Record<string, { content?: Record<string, { schema: Json; examples?: Record<string, { value: Json }> }> }>;
}
interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Json>; securitySchemes: Record<string, Json> };
}

const ROOT = path.resolve(import.meta.dirname, "../..");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;
// Route files outside the API contract: next-auth's own endpoints, the catch-all 404, and the
// Prometheus metrics (plain text behind a token of their own).
const OUTSIDE_CONTRACT = ["app/api/auth/[...nextauth]/route.ts", "app/api/[...path]/route.ts", "app/api/metrics/route.ts"];

const doc = buildOpenApiDocument() as Document;

function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([route, item]) => Object.entries(item).map(([method, op]) => ({ path: route, method: method.toUpperCase(), op })));
}

/** Every route.ts under app/api, relative to the repository, with / separators. */
function routeFiles(): string[] {
  return readdirSync(path.join(ROOT, "app", "api"), { recursive: true, encoding: "utf8" })
    .filter((entry) => path.basename(entry) === "route.ts")
    .map((entry) => ["app", "api", ...entry.split(path.sep)].join("/"))
    .sort();
}

function loadRoute(file: string): Promise<Record<string, unknown>> {
  return import(path.join(ROOT, file)) as Promise<Record<string, unknown>>;
}

function isBound(value: unknown): value is BoundHandler {
  return typeof value === "function" && "contract" in value;
}

function resolve(schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== "string") return schema;
  const name = ref.replace("#/components/schemas/", "");
  const target = doc.components.schemas[name];
  if (!target) throw new Error(`dangling $ref ${ref}`);
  return resolve(target);
}

/** Whether `name` is a property anywhere in the schema, following $refs. */
function hasProperty(schema: Json, name: string, seen = new Set<Json>()): boolean {
  const resolved = resolve(schema);
  if (seen.has(resolved)) return false;
  seen.add(resolved);
  const properties = (resolved.properties ?? {}) as Record<string, Json>;
  if (name in properties) return true;
  const children = [
    ...Object.values(properties),
    ...(["items", "additionalProperties"] as const).map((key) => resolved[key]).filter((value): value is Json => typeof value === "object" && value !== null),
    ...(["anyOf", "oneOf", "allOf"] as const).flatMap((key) => (resolved[key] ?? []) as Json[]),
  ];
  return children.some((child) => hasProperty(child, name, seen));
}

function withoutDialect(schema: Json): Json {
  const rest = { ...schema };
  delete rest.$schema;
  return rest;
}

describe("GET /api/openapi.json document", () => {
  it("is a valid OpenAPI 3.1 document", async () => {
    expect(doc.openapi).toMatch(/^3\.1\./);
    // validate() dereferences in place; the cached document must stay as it is.
    const result = await validate(structuredClone(doc) as never, { resolve: { external: false } });
    if (!result.valid) throw new Error(compileErrors(result));
    expect(result.warnings).toEqual([]);
  }, 60_000);

  it("is built once and reused", () => {
    expect(buildOpenApiDocument()).toBe(doc);
  });

  it("has one operation per contract, named as in the contract table", () => {
    expect(
      operations()
        .map(({ op }) => op.operationId)
        .sort(),
    ).toEqual(API_CONTRACTS.map((contract) => contract.operationId).sort());
    for (const [name, contract] of Object.entries(contracts)) expect(contract.operationId).toBe(name);
  });

  it("finds each contract's handler exported by the route file at its path, bound to that contract", async () => {
    for (const contract of API_CONTRACTS) {
      const file = routeFileOf(contract.path);
      const handler = (await loadRoute(file))[contract.method];
      expect(isBound(handler), `${file} exports ${contract.method} bound to a contract`).toBe(true);
      expect((handler as BoundHandler).contract, `${file} ${contract.method}`).toBe(contract);
    }
  }, 60_000);

  it("has a contract for every method a route file serves; the others answer 405 with the contracts' methods", async () => {
    const files = routeFiles().filter((file) => !OUTSIDE_CONTRACT.includes(file));
    expect(files.length).toBeGreaterThan(5);
    for (const file of files) {
      const served = API_CONTRACTS.filter((contract) => routeFileOf(contract.path) === file);
      expect(served.length, `${file} has a contract`).toBeGreaterThan(0);
      const routeModule = await loadRoute(file);
      for (const method of METHODS) {
        const handler = routeModule[method];
        if (handler === undefined) continue;
        if (isBound(handler)) {
          expect(served, `${method} in ${file}`).toContain(handler.contract);
          expect(handler.contract.method, `${method} in ${file}`).toBe(method);
          continue;
        }
        const response = await (handler as () => Promise<Response> | Response)();
        expect(response.status, `${method} in ${file}`).toBe(405);
        expect(response.headers.get("allow")?.split(", ").sort(), `${method} in ${file}`).toEqual(served.map((contract) => contract.method).sort());
      }
    }
  }, 60_000);

  it("declares for each operation the scopes of its contract, and no key for public routes", () => {
    for (const contract of API_CONTRACTS) {
      const op = doc.paths[contract.path][contract.method.toLowerCase()];
      const where = `${contract.method} ${contract.path}`;
      if (contract.scopes === null) {
        expect(op.security, where).toEqual([]);
        expect(op["x-required-scopes"], where).toBeUndefined();
        continue;
      }
      expect(op["x-required-scopes"], where).toEqual([...contract.scopes]);
      expect(op.security, where).toEqual([{ bearerAuth: contract.scopes }, { apiKeyAuth: contract.scopes }]);
      expect(Object.keys(op.responses), where).toContain("401");
      if (contract.scopes.length > 0) expect(Object.keys(op.responses), where).toContain("403");
    }
  });

  it("derives component schemas from the zod schemas, requests as input and responses as output", () => {
    const { schemas } = doc.components;
    expect(schemas.CreateKeyRequest).toEqual(withoutDialect(z.toJSONSchema(keySchemas.createKeyRequest, { io: "input" }) as Json));
    expect(schemas.KeyRecord).toEqual(withoutDialect(z.toJSONSchema(keySchemas.keyRecord, { io: "output" }) as Json));
    // io "input": a field with a default is optional to send.
    expect(schemas.CreateKeyRequest.required).toEqual(["name"]);
    const list = doc.paths["/api/v1/keys"].get;
    const limit = list.parameters?.find((parameter) => parameter.name === "limit");
    expect(limit).toMatchObject({ in: "query", required: false, schema: { type: "integer", minimum: 1, maximum: 100, default: 20 } });
    for (const schema of Object.values(schemas)) {
      expect(schema).not.toHaveProperty("$schema");
      expect(schema).not.toHaveProperty("$id");
    }
  });

  it("shares one Error schema whose code enum is the error contract, and files each code under its status", () => {
    const error = doc.components.schemas.Error as { properties: { error: { properties: { code: { enum: string[] } }; required: string[] } } };
    expect(error.properties.error.properties.code.enum.sort()).toEqual(Object.keys(ERROR_CODES).sort());
    expect(error.properties.error.required.sort()).toEqual(["code", "message"]);
    for (const contract of API_CONTRACTS) {
      const op = doc.paths[contract.path][contract.method.toLowerCase()];
      for (const code of errorCodesOf(contract)) {
        const response = op.responses[String(ERROR_CODES[code].status)];
        const content = response?.content?.["application/json"];
        expect(content?.schema, `${contract.operationId} ${code}`).toEqual({ $ref: "#/components/schemas/Error" });
        expect(content?.examples?.[code]?.value, `${contract.operationId} ${code}`).toMatchObject({ error: { code } });
      }
    }
  });

  it("offers both ways of presenting a key", () => {
    expect(doc.components.securitySchemes).toEqual({
      bearerAuth: expect.objectContaining({ type: "http", scheme: "bearer" }),
      apiKeyAuth: expect.objectContaining({ type: "apiKey", in: "header", name: "X-API-Key" }),
    });
  });

  it("never describes a hash, and the plaintext key only in the create and rotate responses", () => {
    const keyRecord = doc.components.schemas.KeyRecord as { properties: Json };
    expect(Object.keys(keyRecord.properties)).not.toContain("hash");
    expect(Object.keys(keyRecord.properties)).not.toContain("key");
    expect(JSON.stringify(doc)).not.toMatch(/"hash"\s*:/);

    const withKey: string[] = [];
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.["application/json"]?.schema;
        if (schema && hasProperty(schema, "key")) withKey.push(`${op.operationId} ${status}`);
      }
    }
    expect(withKey.sort()).toEqual(["createKey 201", "rotateKey 201"]);
  });

  it("describes a webhook signing secret only in the create and roll responses", () => {
    const withSecret: string[] = [];
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.["application/json"]?.schema;
        if (schema && hasProperty(schema, "secret")) withSecret.push(`${op.operationId} ${status}`);
      }
    }
    expect(withSecret.sort()).toEqual(["createWebhook 201", "rollWebhookSecret 200"]);
  });

  it("answers 202 and 204 without a body, and the audit export as NDJSON", () => {
    expect(doc.paths["/api/v1/webhooks/{id}"].delete.responses["204"].content).toBeUndefined();
    expect(doc.paths["/api/v1/webhooks/{id}/deliveries/{deliveryId}/retry"].post.responses["202"].content).toBeUndefined();
    expect(Object.keys(doc.paths["/api/v1/audit/export"].get.responses["200"].content ?? {})).toEqual(["application/x-ndjson"]);
  });
});
