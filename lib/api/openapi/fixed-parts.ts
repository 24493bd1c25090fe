import { KEY_PATTERN } from "../../keys/format";

// The parts of the document that no contract carries: how keys are presented, the headers
// answers carry, and the tags' descriptions.

export const INFO = {
  title: "Keyhold API",
  version: "1",
  description:
    "Self-hosted API key management. Present a key as `Authorization: Bearer <key>` or `X-API-Key: <key>`, never in the URL. " +
    "Every error is `{error: {code, message, details?}}`. JSON field names are camelCase, times are ISO 8601 in UTC, " +
    "and absent values are `null`. Request bodies are strict: unknown fields are 400 `bad_request`.",
};

export const TAGS = [
  { name: "keys", description: "Issue, read, change, rotate and revoke keys." },
  { name: "scopes", description: "The scope catalogue." },
  { name: "verification", description: "Verify keys for other services." },
  { name: "webhooks", description: "Signed event notifications to your endpoints, and their delivery log." },
  { name: "audit", description: "Read and export the audit log." },
  { name: "service", description: "Health and this document." },
];

export const SECURITY_SCHEMES = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    description: `An API key as \`Authorization: Bearer <key>\`. Keys match \`${KEY_PATTERN.source}\`.`,
  },
  apiKeyAuth: {
    type: "apiKey",
    in: "header",
    name: "X-API-Key",
    description: "An API key as `X-API-Key: <key>`. Sending both headers with different keys is 400 `ambiguous_key`.",
  },
};

export const RATELIMIT_HEADERS = {
  "RateLimit-Limit": { $ref: "#/components/headers/RateLimit-Limit" },
  "RateLimit-Remaining": { $ref: "#/components/headers/RateLimit-Remaining" },
  "RateLimit-Reset": { $ref: "#/components/headers/RateLimit-Reset" },
};

export const HEADERS = {
  "RateLimit-Limit": { description: "The key's request limit per window; sent when the key has a limit.", schema: { type: "integer" } },
  "RateLimit-Remaining": { description: "Requests left in the current window.", schema: { type: "integer" } },
  "RateLimit-Reset": { description: "Whole seconds until the window resets.", schema: { type: "integer" } },
  "Retry-After": { description: "Whole seconds to wait before retrying.", schema: { type: "integer" } },
  "WWW-Authenticate": { description: '`Bearer realm="keyhold"`, with `error="invalid_token"` when a key was sent.', schema: { type: "string" } },
};

export const STATUS_TEXT: Record<number, string> = {
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
