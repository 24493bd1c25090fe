import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { compileErrors, validate } from "@readme/openapi-parser";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { ERROR_CODES } from "../../lib/api/error-codes";
import { API_ROUTES, buildOpenApiDocument, errorCodesOf } from "../../lib/api/openapi";
import * as keySchemas from "../../lib/keys/schemas";
import * as verifySchemas from "../../lib/keys/verify-schemas";
import * as scopeSchemas from "../../lib/scopes/schemas";
import * as auditSchemas from "../../lib/audit/schemas";
import * as webhookSchemas from "../../lib/webhooks/schemas";

// The document is checked against the OpenAPI 3.1 specification, and the route table behind it
// against the route files themselves: their paths, exported methods, withApiKey scopes and the
// schemas they parse with. The route files are read as text so that nothing here needs a database.

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
const APP = path.join(ROOT, "app");
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"] as const;

const doc = buildOpenApiDocument() as Document;

function operations(): { path: string; method: string; op: Operation }[] {
  return Object.entries(doc.paths).flatMap(([route, item]) =>
    Object.entries(item).map(([method, op]) => ({ path: route, method: method.toUpperCase(), op })),
  );
}

/** route.ts files under app/api/<under>, as { apiPath: "/api/v1/keys/{id}", file }. */
function routeFiles(under: string): { apiPath: string; file: string }[] {
  const base = path.join(APP, "api", under);
  return readdirSync(base, { recursive: true, encoding: "utf8" })
    .filter((entry) => path.basename(entry) === "route.ts")
    .map((entry) => path.join(base, entry))
    .filter((file) => !file.includes("[..."))
    .map((file) => ({
      file,
      apiPath:
        "/" +
        path
          .relative(APP, path.dirname(file))
          .split(path.sep)
          .map((segment) => segment.replace(/^\[(\w+)\]$/, "{$1}"))
          .join("/"),
    }));
}

function fileFor(apiPath: string): string {
  const segments = apiPath.split("/").filter(Boolean).map((segment) => segment.replace(/^\{(\w+)\}$/, "[$1]"));
  return path.join(APP, ...segments, "route.ts");
}

// The methods a route really serves: re-exports of the shared 405 handler (`otherMethod as PUT`)
// answer "method not allowed" and are not operations.
function exportedMethods(source: string): string[] {
  const found = new Set<string>();
  for (const match of source.matchAll(/export\s+(?:const|(?:async\s+)?function)\s+([A-Z]+)\b/g)) found.add(match[1]);
  for (const match of source.matchAll(/export\s*\{([^}]*)\}/g)) {
    for (const item of match[1].split(",")) {
      const [local, exported] = item.trim().split(/\s+as\s+/);
      if (local === "otherMethod") continue;
      const name = (exported ?? local)?.trim();
      if (name) found.add(name);
    }
  }
  return [...found].filter((name) => (METHODS as readonly string[]).includes(name)).sort();
}

/** The scopes of `export const <method> = withApiKey({ scopes: [...] }, ...)`; null when not wrapped. */
function declaredScopes(source: string, method: string): string[] | null {
  const match = new RegExp(String.raw`export const ${method}\s*=\s*withApiKey\b(?:<[^>]*>)?\(\s*\{([^}]*)\}`).exec(source);
  if (!match) return null;
  const list = /scopes\s*:\s*\[([^\]]*)\]/.exec(match[1]);
  return list ? [...list[1].matchAll(/["']([^"']+)["']/g)].map((item) => item[1]) : [];
}

/** The text of one exported handler, up to the next export. */
function handlerSource(source: string, method: string): string {
  const start = source.indexOf(`export const ${method}`);
  if (start < 0) throw new Error(`no export const ${method}`);
  const next = source.indexOf("\nexport ", start + 1);
  return source.slice(start, next < 0 ? undefined : next);
}

const SCHEMA_MODULES = { ...keySchemas, ...verifySchemas, ...scopeSchemas, ...auditSchemas, ...webhookSchemas } as Record<string, unknown>;
function exportNameOf(schema: z.ZodType): string | undefined {
  return Object.entries(SCHEMA_MODULES).find(([, value]) => value === schema)?.[0];
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
  });

  it("is built once and reused", () => {
    expect(buildOpenApiDocument()).toBe(doc);
  });

  it("documents only routes that exist, with the method exported", () => {
    for (const { path: route, method } of operations()) {
      const file = fileFor(route);
      let source: string;
      try {
        source = readFileSync(file, "utf8");
      } catch {
        throw new Error(`${method} ${route} is documented but ${path.relative(ROOT, file)} does not exist`);
      }
      expect(exportedMethods(source), `${path.relative(ROOT, file)} exports ${method}`).toContain(method);
    }
  });

  it("documents every /api/v1 route file and every method it exports", () => {
    const files = routeFiles("v1");
    expect(files.length).toBeGreaterThan(0);
    for (const { apiPath, file } of files) {
      const methods = exportedMethods(readFileSync(file, "utf8"));
      expect(methods.length, `${path.relative(ROOT, file)} exports a method`).toBeGreaterThan(0);
      for (const method of methods) {
        expect(doc.paths[apiPath]?.[method.toLowerCase()], `${method} ${apiPath} is in the document`).toBeDefined();
      }
    }
  });

  it("declares for each operation the scopes its withApiKey requires, and no key for public routes", () => {
    for (const { path: route, method, op } of operations()) {
      const source = readFileSync(fileFor(route), "utf8");
      const scopes = declaredScopes(source, method);
      const where = `${method} ${route}`;
      if (scopes === null) {
        expect(source, `${where} has no withApiKey, so it is public`).not.toMatch(/withApiKey/);
        expect(op.security, where).toEqual([]);
        expect(op["x-required-scopes"], where).toBeUndefined();
        continue;
      }
      expect([...(op["x-required-scopes"] ?? [])].sort(), where).toEqual([...scopes].sort());
      expect(op.security, where).toEqual([{ bearerAuth: scopes }, { apiKeyAuth: scopes }]);
      expect(Object.keys(op.responses), where).toContain("401");
      if (scopes.length > 0) expect(Object.keys(op.responses), where).toContain("403");
    }
  });

  it("binds each route to the schemas its handler parses with", () => {
    for (const route of API_ROUTES) {
      if (route.scopes === null) continue;
      const where = `${route.method} ${route.path}`;
      const handler = handlerSource(readFileSync(fileFor(route.path), "utf8"), route.method);
      if (route.body) expect(handler, where).toContain(`readJson(request, ${exportNameOf(route.body.schema)}`);
      else expect(handler, where).not.toContain("readJson(");
      if (route.query) expect(handler, where).toContain(`readQuery(request.nextUrl, ${exportNameOf(route.query)})`);
      else expect(handler, where).not.toContain("readQuery(");
      if (route.success.status === 202 || route.success.status === 204) {
        // No body to parse: the handler answers the bare status.
        expect(route.success.schema, where).toBeNull();
        expect(handler, where).toContain(`new Response(null, { status: ${route.success.status} })`);
        continue;
      }
      if (route.success.contentType) {
        // A stream of lines is no JSON document; each line is an entry the exporter builds.
        expect(handler, where).toContain(`"Content-Type": "${route.success.contentType}"`);
        continue;
      }
      expect(route.success.schema, where).not.toBeNull();
      const name = exportNameOf(route.success.schema!);
      // presentKey and presentWebhook parse through keyRecord and webhookEndpoint, so answering them is answering those.
      const presenter = { keyRecord: "presentKey", webhookEndpoint: "presentWebhook" }[name ?? ""];
      expect(handler, where).toMatch(presenter ? new RegExp(String.raw`Response\.json\(\s*${presenter}\(`) : new RegExp(String.raw`\b${name}\.parse\(`));
      if (route.success.status === 201) expect(handler, where).toContain("status: 201");
      else expect(handler, where).not.toMatch(/status:/);
    }
    expect(readFileSync(path.join(ROOT, "lib/keys/present-key.ts"), "utf8")).toMatch(/return keyRecord\.parse\(/);
    expect(readFileSync(path.join(ROOT, "lib/webhooks/endpoint-service.ts"), "utf8")).toMatch(/return webhookEndpoint\.parse\(/);
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
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path][route.method.toLowerCase()];
      for (const code of errorCodesOf(route)) {
        const response = op.responses[String(ERROR_CODES[code].status)];
        const content = response?.content?.["application/json"];
        expect(content?.schema, `${route.operationId} ${code}`).toEqual({ $ref: "#/components/schemas/Error" });
        expect(content?.examples?.[code]?.value, `${route.operationId} ${code}`).toMatchObject({ error: { code } });
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

    const withSecret: string[] = [];
    for (const { op } of operations()) {
      for (const [status, response] of Object.entries(op.responses)) {
        const schema = response.content?.["application/json"]?.schema;
        if (schema && hasProperty(schema, "secret")) withSecret.push(`${op.operationId} ${status}`);
      }
    }
    expect(withSecret.sort()).toEqual(["createWebhook 201", "rollWebhookSecret 200"]);
  });
});
