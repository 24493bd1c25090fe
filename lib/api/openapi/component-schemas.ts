import { z } from "zod";

import { REQUEST_SCHEMAS, RESPONSE_SCHEMAS } from "./component-names";

// Zod schemas rendered as the document's #/components/schemas with zod's own JSON Schema output.

export type Json = Record<string, unknown>;

const componentNames = new Map<z.ZodType, string>(
  [...Object.entries(REQUEST_SCHEMAS), ...Object.entries(RESPONSE_SCHEMAS)].map(([name, schema]) => [schema, name]),
);

export function schemaRef(schema: z.ZodType): Json {
  const name = componentNames.get(schema);
  if (!name) throw new Error("OpenAPI: a contract uses a schema missing from REQUEST_SCHEMAS or RESPONSE_SCHEMAS");
  return { $ref: `#/components/schemas/${name}` };
}

export function componentSchemas(): Record<string, Json> {
  const requests = render(REQUEST_SCHEMAS, "input");
  const responses = render(RESPONSE_SCHEMAS, "output");
  const clash = Object.keys(requests).filter((name) => name in responses);
  if (clash.length > 0) throw new Error(`OpenAPI schema names used for both a request and a response: ${clash.join(", ")}`);
  return { ...requests, ...responses };
}

// One registry per direction: a schema used both ways would otherwise get a single rendering.
function render(schemas: Record<string, z.ZodType>, io: "input" | "output"): Record<string, Json> {
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
