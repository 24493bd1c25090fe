import { API_CONTRACTS } from "../contract/routes";
import { componentSchemas, type Json } from "./component-schemas";
import { HEADERS, INFO, SECURITY_SCHEMES, TAGS } from "./fixed-parts";
import { operation } from "./operation";

// The OpenAPI 3.1 description of DESIGN.md section 7, built from the route contracts: every body
// and response schema is the zod schema the handler parses with, so the document cannot drift
// from what the API accepts and answers.

function build(): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const contract of API_CONTRACTS) {
    paths[contract.path] ??= {};
    paths[contract.path][contract.method.toLowerCase()] = operation(contract);
  }
  return {
    openapi: "3.1.1",
    info: INFO,
    tags: TAGS,
    paths,
    components: { schemas: componentSchemas(), headers: HEADERS, securitySchemes: SECURITY_SCHEMES },
  };
}

let cached: Json | undefined;

/** The OpenAPI 3.1 document of the HTTP API, built once per process. */
export function buildOpenApiDocument(): object {
  cached ??= build();
  return cached;
}
