import { z } from "zod";

import { normalizeClientIp } from "../net/ip-allowlist";
import { KEY_ENVIRONMENTS } from "./format";

// Request and response shapes of key verification (DESIGN.md section 7.1). Responses are parsed
// through these too, so nothing outside them (a hash, say) can reach the JSON.

const environment = z.enum(KEY_ENVIRONMENTS);
const ratelimit = z.object({ limit: z.number().int(), windowMs: z.number().int() }).nullable();

/** Credits one use spends from a key's quota (DESIGN.md section 15.3). */
export const useCost = z.number().int().min(1).max(1000);

export const verifyKeyRequest = z.strictObject({
  key: z.string().max(1024),
  scopes: z.array(z.string().min(1).max(200)).max(100).optional(),
  cost: useCost.optional(),
  // Where the verified key was presented from, checked against its ipAllowlist.
  ip: z
    .string()
    .max(64)
    .transform((text, context) => {
      const ip = normalizeClientIp(text);
      if (ip === null) {
        context.addIssue({ code: "custom", message: "must be an IPv4 or IPv6 address" });
        return z.NEVER;
      }
      return ip;
    })
    .optional(),
});

export const verifyKeyResponse = z.discriminatedUnion("valid", [
  z.strictObject({
    valid: z.literal(true),
    keyId: z.string(),
    ownerId: z.string().nullable(),
    name: z.string(),
    environment,
    scopes: z.array(z.string()),
    meta: z.record(z.string(), z.unknown()),
    expiresAt: z.string().nullable(),
    ratelimit,
    remaining: z.number().int().nullable(),
  }),
  z.strictObject({ valid: z.literal(false), code: z.string() }),
]);

export const whoamiResponse = z.strictObject({
  keyId: z.string(),
  name: z.string(),
  ownerId: z.string().nullable(),
  environment,
  scopes: z.array(z.string()),
  expiresAt: z.string().nullable(),
  ratelimit,
});

export type VerifyKeyResponse = z.infer<typeof verifyKeyResponse>;
