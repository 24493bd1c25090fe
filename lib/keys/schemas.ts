import { z } from "zod";

import { MAX_ALLOWLIST_ENTRIES, normalizeAllowlistEntry } from "../net/ip-allowlist";
import { pageCursor, pageLimit, pageOf } from "../pagination/page-schemas";
import { KEY_ENVIRONMENTS } from "./format";
import { KEY_STATUSES } from "./key-status";
import { SCOPE_NAME_PATTERN } from "./management-scopes";

// Request and response shapes of the key management API (DESIGN.md section 7.1), side by side.
// Responses are parsed through these as well: a field not named here (the hash) cannot leak.

// Years 1970 to 9999 in UTC: an offset can push 9999-12-31 past the end of that range, where
// toISOString() writes a sign PostgreSQL will not parse. The one place an ISO string becomes a
// Date: every handler, action and the CLI receive Dates.
const MAX_TIME_MS = Date.parse("9999-12-31T23:59:59.999Z");
const isoDateString = z.iso
  .datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z" })
  .refine((value) => Date.parse(value) >= 0 && Date.parse(value) <= MAX_TIME_MS, "must be a time from 1970 to 9999 (UTC)");
const isoDate = isoDateString.transform((value) => new Date(value));
const scopeName = z.string().regex(SCOPE_NAME_PATTERN, "must look like resource:action (lowercase, e.g. orders:read)");
const meta = z.record(z.string(), z.unknown());
const ratelimit = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  windowMs: z.number().int().min(1_000).max(86_400_000),
});
const quota = z.number().int().min(0).max(2_000_000_000);
const refill = z.strictObject({
  interval: z.enum(["daily", "monthly"]),
  amount: z.number().int().min(1).max(2_000_000_000),
});
// Normalised on the way in, so the stored list is what the key record shows and duplicates
// written differently (10.1.2.3/8 and 10.0.0.0/8) are one entry.
const allowlistEntry = z.string().transform((text, context) => {
  const normal = normalizeAllowlistEntry(text);
  if (normal === null) {
    context.addIssue({ code: "custom", message: "must be an IPv4 or IPv6 address or CIDR range, e.g. 203.0.113.0/24 or 2001:db8::/32" });
    return z.NEVER;
  }
  return normal;
});
const ipAllowlist = z
  .array(allowlistEntry)
  .max(MAX_ALLOWLIST_ENTRIES, `at most ${MAX_ALLOWLIST_ENTRIES} entries`)
  .transform((entries) => [...new Set(entries)]);

const keyStatus = z.enum(KEY_STATUSES);

export const keyRecord = z.strictObject({
  id: z.string(),
  name: z.string(),
  start: z.string(),
  environment: z.enum(KEY_ENVIRONMENTS),
  ownerId: z.string().nullable(),
  scopes: z.array(z.string()),
  meta,
  status: keyStatus,
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  revokedReason: z.string().nullable(),
  rotatedFromId: z.string().nullable(),
  ratelimit: ratelimit.nullable(),
  remaining: z.number().int().nullable(),
  refill: refill.nullable(),
  ipAllowlist: z.array(z.string()),
  lastUsedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type KeyRecordJson = z.infer<typeof keyRecord>;

export const keyWithSecret = keyRecord.extend({ key: z.string() });

export const createKeyRequest = z.strictObject({
  name: z.string().trim().min(1).max(200),
  ownerId: z.string().trim().min(1).max(200).nullish(),
  environment: z.enum(KEY_ENVIRONMENTS).default("live"),
  scopes: z.array(scopeName).max(100).default([]),
  expiresAt: isoDate.nullish(),
  ratelimit: ratelimit.nullish(),
  remaining: quota.nullish(),
  refill: refill.nullish(),
  ipAllowlist: ipAllowlist.default([]),
  meta: meta.default({}),
});

export const updateKeyRequest = z
  .strictObject({
    name: z.string().trim().min(1).max(200).optional(),
    scopes: z.array(scopeName).max(100).optional(),
    expiresAt: isoDate.nullable().optional(),
    ratelimit: ratelimit.nullable().optional(),
    remaining: quota.nullable().optional(),
    refill: refill.nullable().optional(),
    ipAllowlist: ipAllowlist.optional(),
    meta: meta.optional(),
  })
  .refine((body) => Object.keys(body).length > 0, { message: "send at least one field to change" });

export const rotateKeyRequest = z.strictObject({
  gracePeriodSeconds: z.number().int().min(0).max(2_592_000).default(0),
  expiresAt: isoDate.nullish(),
});

export const revokeKeyRequest = z.strictObject({
  reason: z.string().trim().max(500).nullish(),
});

export const listKeysQuery = z.strictObject({
  ownerId: z.string().min(1).max(200).optional(),
  status: keyStatus.optional(),
  scope: z.string().min(1).max(200).optional(),
  environment: z.enum(KEY_ENVIRONMENTS).optional(),
  q: z.string().min(1).max(200).optional(),
  cursor: pageCursor,
  limit: pageLimit,
});
export type ListKeysQuery = z.infer<typeof listKeysQuery>;

export const listKeysResponse = pageOf(keyRecord);

export const usageQuery = z.strictObject({
  from: isoDateString.optional(),
  to: isoDateString.optional(),
  granularity: z.enum(["minute", "hour", "day"]).default("hour"),
  include: z.enum(["latency"]).optional(),
});

const milliseconds = z.number().nonnegative().nullable();

export const usageResponse = z.strictObject({
  keyId: z.string(),
  granularity: z.enum(["minute", "hour", "day"]),
  from: z.string(),
  to: z.string(),
  series: z.array(
    z.strictObject({
      at: z.string(),
      counts: z.record(z.string(), z.number().int()),
      // Only with include=latency; null where the bucket's requests predate latency histograms.
      latency: z.strictObject({ p50: milliseconds, p95: milliseconds, p99: milliseconds }).optional(),
    }),
  ),
});

export const keyAddressesResponse = z.strictObject({
  data: z.array(z.strictObject({ ip: z.string(), requests: z.number().int(), denied: z.number().int(), lastSeenAt: z.string() })),
});
