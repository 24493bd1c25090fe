import ipaddr from "ipaddr.js";
import { z } from "zod";

import { parseIpRange, type IpRange } from "./net/ip-range";

// Every setting that crosses into the app from outside, validated once (DESIGN.md section 11).
// Empty strings count as unset, so `FOO= npm start` behaves like leaving FOO out.

const postgresUrl = z.string().refine((value) => {
  try {
    const url = new URL(value);
    return (url.protocol === "postgresql:" || url.protocol === "postgres:") && url.hostname !== "";
  } catch {
    return false;
  }
}, "must be a postgresql://user@host:port/database URL");

// Comma- or space-separated addresses and CIDR ranges, e.g. `127.0.0.1, 10.0.0.0/8`.
const ipRanges = z.string().transform((value, ctx): IpRange[] => {
  const ranges: IpRange[] = [];
  for (const item of value.split(/[\s,]+/).filter(Boolean)) {
    const range = parseIpRange(item);
    if (range) ranges.push(range);
    else ctx.addIssue({ code: "custom", message: `has "${item}", which is neither an IP address nor a CIDR range` });
  }
  return ranges;
});

const hostname = z
  .string()
  .refine((value) => ipaddr.isValid(value) || /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(value), "must be an IP address or a host name");

const envSchema = z
  .object({
    NODE_ENV: z.enum(["development", "production", "test"]).default("development"),
    DATABASE_URL: postgresUrl.optional(),
    NEXTAUTH_SECRET: z.string().min(32, "must be at least 32 characters").optional(),
    NEXTAUTH_URL: z.url({ protocol: /^https?$/, message: "must be an absolute http(s) URL" }).optional(),
    PORT: z.coerce.number("must be a port number").int().min(1).max(65535).default(3000),
    KEYHOLD_HOST: hostname.optional(),
    KEYHOLD_DATA_DIR: z.string().default(".data"),
    KEYHOLD_INVALID_KEY_LIMIT: z.coerce.number("must be a whole number").int().min(1).default(20),
    KEYHOLD_TRUSTED_PROXIES: ipRanges.default([]),
    // Counting hops let a client that reached the instance directly choose its own address.
    KEYHOLD_TRUST_PROXY: z
      .string()
      .refine((value) => value === "0", "is replaced by KEYHOLD_TRUSTED_PROXIES: list the proxies' addresses or CIDR ranges instead")
      .optional(),
    // Raw usage events, then the hourly and daily counts (DESIGN.md section 15.2).
    KEYHOLD_USAGE_RAW_RETENTION_DAYS: z.coerce.number("must be a whole number").int().min(1).max(400).default(7),
    KEYHOLD_USAGE_RETENTION_DAYS: z.coerce.number("must be a whole number").int().min(1).default(400),
    KEYHOLD_WEBHOOK_ALLOW_PRIVATE: z
      .enum(["0", "1"], "must be 0 or 1")
      .default("0")
      .transform((value) => value === "1"),
    KEYHOLD_METRICS_TOKEN: z.string().min(16, "must be at least 16 characters").optional(),
    KEYHOLD_API_DISPATCH: z.enum(["0", "1"], "must be 0 or 1").default("1"),
    LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
    // Memory bounds (docs/architecture.md, "Memory"): the server's V8 heap and the in-process
    // tables that grow with traffic, sized together so the tables at their bounds fit the heap.
    KEYHOLD_MAX_HEAP_MB: z.coerce.number("must be a whole number").int().min(96).default(192),
    KEYHOLD_KEY_CACHE_MAX_ENTRIES: z.coerce.number("must be a whole number").int().min(100).default(50_000),
    KEYHOLD_USAGE_BUFFER_MAX_EVENTS: z.coerce.number("must be a whole number").int().min(1_000).default(50_000),
  })
  .superRefine((env, ctx) => {
    if (env.NODE_ENV === "production" && env.DATABASE_URL && !env.NEXTAUTH_SECRET) {
      ctx.addIssue({
        code: "custom",
        path: ["NEXTAUTH_SECRET"],
        message: "is required in production (NODE_ENV=production with DATABASE_URL set)",
      });
    }
  });

export type Env = z.infer<typeof envSchema>;

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

// One line naming the variable and the problem, never the value (it may be a secret).
export function parseEnv(source: Record<string, string | undefined> = process.env): Env {
  const present = Object.fromEntries(Object.entries(source).filter(([, value]) => value !== undefined && value !== ""));
  const result = envSchema.safeParse(present);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  throw new ConfigError(`Configuration error: ${issue.path.join(".")} ${issue.message}`);
}

let cached: Env | undefined;

export function env(): Env {
  cached ??= parseEnv();
  return cached;
}
