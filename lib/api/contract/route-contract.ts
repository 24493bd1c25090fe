import type { z } from "zod";

import type { ErrorCode } from "../../errors/error-codes";
import type { ManagementScope } from "../../keys/management-scopes";

// What one HTTP route promises, declared once: withApiKey takes its scopes and schemas from it,
// the OpenAPI document is built from the list of them (lib/api/contract/routes.ts), and a test
// holds the route files to it.

export type HttpMethod = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

export interface RouteContract {
  method: HttpMethod;
  /** OpenAPI path template (`/api/v1/keys/{id}`); the route file is the same path under app/ with `[id]`. */
  path: string;
  /** The OpenAPI operationId, and the name of this contract in `contracts`. */
  operationId: string;
  summary: string;
  description?: string;
  tag: "keys" | "scopes" | "verification" | "service" | "webhooks" | "audit";
  /** null: public. Otherwise the scopes a key needs; [] is any valid key. */
  scopes: readonly ManagementScope[] | null;
  /** Credits each call spends from the calling key's quota, 1 to 1000 (default 1; DESIGN.md section 15.3). */
  cost?: number;
  /** Documentation of each `{param}` of the path. */
  pathDocs?: Record<string, string>;
  query?: z.ZodObject;
  queryDocs?: Record<string, string>;
  /** With `optional`, an empty body counts as `{}`. */
  body?: { schema: z.ZodType; optional?: boolean };
  /**
   * The answer, parsed through `schema`; null for a document with no fixed shape, and for 202
   * and 204, which have no body. `contentType` names a body that is not JSON (a stream).
   */
  success: { status: 200 | 201 | 202 | 204; schema: z.ZodType | null; description: string; contentType?: string };
  /** Answers that are neither the success nor the error contract. */
  otherResponses?: readonly { status: number; schema: z.ZodType; description: string }[];
  /** Refusals the handler itself can give, beyond those implied by auth, body, query and path. */
  errors?: readonly ErrorCode[];
}

/** Keeps the literal types of a contract (its path, schemas and scopes) for the handler's types. */
export function defineRoute<const Contract extends RouteContract>(contract: Contract): Contract {
  return contract;
}

/** `{id: string}` for `/api/v1/keys/{id}`. */
export type PathParams<Path extends string> = Path extends `${string}{${infer Name}}${infer Rest}` ? { [K in Name]: string } & PathParams<Rest> : unknown;

export type BodyOf<Contract extends RouteContract> = Contract["body"] extends { schema: infer Schema extends z.ZodType } ? z.output<Schema> : never;

export type QueryOf<Contract extends RouteContract> = Contract["query"] extends infer Schema extends z.ZodObject ? z.output<Schema> : never;

export type ResponseOf<Contract extends RouteContract> = Contract["success"]["schema"] extends infer Schema extends z.ZodType ? z.input<Schema> : unknown;
