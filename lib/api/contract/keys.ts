import {
  createKeyRequest,
  keyAddressesResponse,
  keyRecord,
  keyWithSecret,
  listKeysQuery,
  listKeysResponse,
  revokeKeyRequest,
  rotateKeyRequest,
  updateKeyRequest,
  usageQuery,
  usageResponse,
} from "../../keys/schemas";
import { idParamDoc, PAGE_QUERY_DOCS } from "./param-docs";
import { defineRoute } from "./route-contract";

// Key management (DESIGN.md section 7).

const KEY_ID = { id: idParamDoc("key", "key") };

export const createKey = defineRoute({
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
});

export const listKeys = defineRoute({
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
    ...PAGE_QUERY_DOCS,
  },
  success: { status: 200, schema: listKeysResponse, description: "One page of key records." },
});

export const getKey = defineRoute({
  method: "GET",
  path: "/api/v1/keys/{id}",
  operationId: "getKey",
  summary: "One key, never its secret or hash",
  tag: "keys",
  scopes: ["keys:read"],
  pathDocs: KEY_ID,
  success: { status: 200, schema: keyRecord, description: "The key record." },
});

export const updateKey = defineRoute({
  method: "PATCH",
  path: "/api/v1/keys/{id}",
  operationId: "updateKey",
  summary: "Change a key's name, scopes, expiry, rate limit, quota, refill, IP allowlist or metadata",
  description:
    "Send at least one field; fields not sent are unchanged, `null` clears a nullable one. Setting `remaining` to null " +
    "clears the refill too; a refill on a key without a quota starts it at the refill amount.",
  tag: "keys",
  scopes: ["keys:write"],
  pathDocs: KEY_ID,
  body: { schema: updateKeyRequest },
  success: { status: 200, schema: keyRecord, description: "The updated key record." },
});

export const rotateKey = defineRoute({
  method: "POST",
  path: "/api/v1/keys/{id}/rotate",
  operationId: "rotateKey",
  summary: "Replace a key with a new one with the same settings",
  description:
    "The new key keeps name, owner, environment, scopes, rate limit, quota, refill, IP allowlist and meta, and names the old one in `rotatedFromId`. " +
    "The old key expires after `gracePeriodSeconds`. A revoked key cannot be rotated (409 `conflict`).",
  tag: "keys",
  scopes: ["keys:write"],
  pathDocs: KEY_ID,
  body: { schema: rotateKeyRequest, optional: true },
  success: { status: 201, schema: keyWithSecret, description: "The new key record and its plaintext `key`, shown once." },
  errors: ["conflict"],
});

export const revokeKey = defineRoute({
  method: "POST",
  path: "/api/v1/keys/{id}/revoke",
  operationId: "revokeKey",
  summary: "Revoke a key at once",
  description: "Revoking a revoked key is not an error: the first revocation's time and reason stand.",
  tag: "keys",
  scopes: ["keys:write"],
  pathDocs: KEY_ID,
  body: { schema: revokeKeyRequest, optional: true },
  success: { status: 200, schema: keyRecord, description: "The revoked key record." },
});

export const getKeyUsage = defineRoute({
  method: "GET",
  path: "/api/v1/keys/{id}/usage",
  operationId: "getKeyUsage",
  summary: "Verifications of a key per time bucket and outcome",
  description: "Only buckets with events are listed, and each bucket's `counts` holds only the outcomes that occurred.",
  tag: "keys",
  scopes: ["usage:read"],
  pathDocs: KEY_ID,
  query: usageQuery,
  queryDocs: {
    from: "Start of the range, ISO 8601. Defaults to 24 hours before `to`.",
    to: "End of the range, ISO 8601. Defaults to now.",
    granularity:
      "Bucket size. `minute` answers only for the raw retention period (`KEYHOLD_USAGE_RAW_RETENTION_DAYS`, default 7 days); further back it is 400.",
    include: "`latency` adds `latency: {p50, p95, p99}` in milliseconds to each bucket, from hourly histograms: granularity `hour` or `day` only.",
  },
  success: { status: 200, schema: usageResponse, description: "The series over the effective range, which is echoed." },
});

export const getKeyAddresses = defineRoute({
  method: "GET",
  path: "/api/v1/keys/{id}/addresses",
  operationId: "getKeyAddresses",
  summary: "Client addresses that used a key in the last 30 days",
  description:
    "Most recently seen first, at most 100. `requests` counts every request from the address with this key, `denied` those refused. " +
    "Counted per UTC day, so the 30 days start at midnight UTC.",
  tag: "keys",
  scopes: ["usage:read"],
  pathDocs: KEY_ID,
  success: { status: 200, schema: keyAddressesResponse, description: "The addresses." },
});
