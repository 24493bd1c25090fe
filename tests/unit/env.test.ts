import { describe, expect, it } from "vitest";

import { ConfigError, parseEnv } from "../../lib/env";

const SECRET = "9f8e7d6c5b4a39281706f5e4d3c2b1a0"; // 32 characters
const DATABASE_URL = "postgresql://keyhold:pw@db.internal:5432/keyhold";

function configError(source: Record<string, string | undefined>): ConfigError {
  try {
    parseEnv(source);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected parseEnv to refuse the configuration");
}

describe("parseEnv", () => {
  it("fills in the defaults", () => {
    expect(parseEnv({})).toEqual({
      NODE_ENV: "development",
      PORT: 3000,
      KEYHOLD_DATA_DIR: ".data",
      KEYHOLD_INVALID_KEY_LIMIT: 20,
      KEYHOLD_TRUSTED_PROXIES: [],
      KEYHOLD_USAGE_RAW_RETENTION_DAYS: 7,
      KEYHOLD_USAGE_RETENTION_DAYS: 400,
      KEYHOLD_API_DISPATCH: "1",
      KEYHOLD_MAX_HEAP_MB: 192,
      KEYHOLD_KEY_CACHE_MAX_ENTRIES: 50_000,
      KEYHOLD_USAGE_BUFFER_MAX_EVENTS: 50_000,
      KEYHOLD_WEBHOOK_ALLOW_PRIVATE: false,
      LOG_LEVEL: "info",
    });
  });

  it.each([
    ["KEYHOLD_MAX_HEAP_MB", "64"],
    ["KEYHOLD_MAX_HEAP_MB", "lots"],
    ["KEYHOLD_KEY_CACHE_MAX_ENTRIES", "-1"],
    ["KEYHOLD_USAGE_BUFFER_MAX_EVENTS", "1.5"],
  ])("refuses %s=%s, a memory bound too small or not a whole number, naming it", (name, value) => {
    expect(configError({ [name]: value }).message.startsWith(`Configuration error: ${name} `)).toBe(true);
  });

  it("takes memory bounds from the environment", () => {
    const env = parseEnv({ KEYHOLD_MAX_HEAP_MB: "256", KEYHOLD_KEY_CACHE_MAX_ENTRIES: "20000", KEYHOLD_USAGE_BUFFER_MAX_EVENTS: "5000" });
    expect([env.KEYHOLD_MAX_HEAP_MB, env.KEYHOLD_KEY_CACHE_MAX_ENTRIES, env.KEYHOLD_USAGE_BUFFER_MAX_EVENTS]).toEqual([256, 20_000, 5_000]);
  });

  it("KEYHOLD_WEBHOOK_ALLOW_PRIVATE is 0 or 1, nothing else", () => {
    expect(parseEnv({ KEYHOLD_WEBHOOK_ALLOW_PRIVATE: "1" }).KEYHOLD_WEBHOOK_ALLOW_PRIVATE).toBe(true);
    expect(() => parseEnv({ KEYHOLD_WEBHOOK_ALLOW_PRIVATE: "yes" })).toThrow("KEYHOLD_WEBHOOK_ALLOW_PRIVATE must be 0 or 1");
  });

  it("leaves DATABASE_URL and NEXTAUTH_SECRET unset by default (embedded database)", () => {
    const env = parseEnv({});
    expect(env.DATABASE_URL).toBeUndefined();
    expect(env.NEXTAUTH_SECRET).toBeUndefined();
  });

  it("ignores unrelated variables", () => {
    expect(parseEnv({ PATH: "/usr/bin", HOME: "/root", npm_config_cache: "/tmp" }).PORT).toBe(3000);
  });

  it("accepts postgresql:// and postgres:// URLs", () => {
    expect(parseEnv({ DATABASE_URL }).DATABASE_URL).toBe(DATABASE_URL);
    expect(parseEnv({ DATABASE_URL: "postgres://u@localhost/db" }).DATABASE_URL).toBe("postgres://u@localhost/db");
  });

  it("refuses DATABASE_URL=not-a-url with one line naming the variable, not the value", () => {
    const error = configError({ DATABASE_URL: "not-a-url" });
    expect(error.name).toBe("ConfigError");
    expect(error.message.startsWith("Configuration error: DATABASE_URL")).toBe(true);
    expect(error.message).not.toContain("not-a-url");
    expect(error.message).not.toContain("\n");
  });

  it.each(["mysql://keyhold:hunter2-pass@db/keyhold", "https://keyhold:hunter2-pass@db/keyhold", "postgresql://keyhold:hunter2-pass@/keyhold"])(
    "refuses the non-PostgreSQL URL %s without echoing its password",
    (value) => {
      const error = configError({ DATABASE_URL: value });
      expect(error.message.startsWith("Configuration error: DATABASE_URL")).toBe(true);
      expect(error.message).not.toContain("hunter2-pass");
    },
  );

  it("requires NEXTAUTH_SECRET in production with DATABASE_URL, naming it", () => {
    const error = configError({ NODE_ENV: "production", DATABASE_URL });
    expect(error.message.startsWith("Configuration error: NEXTAUTH_SECRET")).toBe(true);
    expect(error.message).toMatch(/required/);
    expect(error.message).not.toContain("pw@db");
  });

  it("treats an empty NEXTAUTH_SECRET as missing in production", () => {
    expect(configError({ NODE_ENV: "production", DATABASE_URL, NEXTAUTH_SECRET: "" }).message).toContain("NEXTAUTH_SECRET");
  });

  it("accepts production with DATABASE_URL and a secret", () => {
    const env = parseEnv({ NODE_ENV: "production", DATABASE_URL, NEXTAUTH_SECRET: SECRET });
    expect(env.NODE_ENV).toBe("production");
    expect(env.NEXTAUTH_SECRET).toBe(SECRET);
  });

  it("does not require a secret in production with the embedded database, nor in development", () => {
    expect(parseEnv({ NODE_ENV: "production" }).NEXTAUTH_SECRET).toBeUndefined();
    expect(parseEnv({ NODE_ENV: "production", DATABASE_URL: "" }).DATABASE_URL).toBeUndefined();
    expect(parseEnv({ NODE_ENV: "development", DATABASE_URL }).NEXTAUTH_SECRET).toBeUndefined();
  });

  it("refuses a short NEXTAUTH_SECRET without echoing it", () => {
    const short = SECRET.slice(0, 31);
    const error = configError({ NEXTAUTH_SECRET: short });
    expect(error.message.startsWith("Configuration error: NEXTAUTH_SECRET")).toBe(true);
    expect(error.message).toMatch(/32/);
    expect(error.message).not.toContain(short);
    expect(error.message).not.toContain(short.slice(0, 8));
    expect(parseEnv({ NEXTAUTH_SECRET: SECRET }).NEXTAUTH_SECRET).toBe(SECRET);
  });

  it("refuses a short KEYHOLD_METRICS_TOKEN without echoing it", () => {
    const error = configError({ KEYHOLD_METRICS_TOKEN: "tok-abc123" });
    expect(error.message.startsWith("Configuration error: KEYHOLD_METRICS_TOKEN")).toBe(true);
    expect(error.message).not.toContain("tok-abc123");
  });

  it("treats empty strings as unset", () => {
    const env = parseEnv({
      NODE_ENV: "",
      DATABASE_URL: "",
      NEXTAUTH_SECRET: "",
      NEXTAUTH_URL: "",
      PORT: "",
      KEYHOLD_DATA_DIR: "",
      KEYHOLD_INVALID_KEY_LIMIT: "",
      KEYHOLD_TRUST_PROXY: "",
      KEYHOLD_TRUSTED_PROXIES: "",
      KEYHOLD_HOST: "",
      KEYHOLD_USAGE_RAW_RETENTION_DAYS: "",
      KEYHOLD_USAGE_RETENTION_DAYS: "",
      KEYHOLD_METRICS_TOKEN: "",
      LOG_LEVEL: "",
    });
    expect(env).toEqual(parseEnv({}));
  });

  it("coerces numbers", () => {
    const env = parseEnv({ PORT: "8080", KEYHOLD_INVALID_KEY_LIMIT: "5", KEYHOLD_USAGE_RAW_RETENTION_DAYS: "3", KEYHOLD_USAGE_RETENTION_DAYS: "90" });
    expect(env.PORT).toBe(8080);
    expect(env.KEYHOLD_INVALID_KEY_LIMIT).toBe(5);
    expect(env.KEYHOLD_USAGE_RAW_RETENTION_DAYS).toBe(3);
    expect(env.KEYHOLD_USAGE_RETENTION_DAYS).toBe(90);
  });

  it.each([
    ["PORT", "http"],
    ["PORT", "0"],
    ["PORT", "70000"],
    ["PORT", "80.5"],
    ["KEYHOLD_INVALID_KEY_LIMIT", "0"],
    ["KEYHOLD_INVALID_KEY_LIMIT", "many"],
    ["KEYHOLD_TRUST_PROXY", "1"],
    ["KEYHOLD_TRUST_PROXY", "yes"],
    ["KEYHOLD_TRUSTED_PROXIES", "10.0.0.0/33"],
    ["KEYHOLD_TRUSTED_PROXIES", "127.0.0.1, nginx"],
    ["KEYHOLD_HOST", "0.0.0.0:3000"],
    ["KEYHOLD_HOST", "http://localhost"],
    ["KEYHOLD_USAGE_RETENTION_DAYS", "0"],
    ["KEYHOLD_USAGE_RAW_RETENTION_DAYS", "0"],
    ["KEYHOLD_USAGE_RAW_RETENTION_DAYS", "401"],
    ["NODE_ENV", "staging"],
    ["KEYHOLD_API_DISPATCH", "off"],
    ["LOG_LEVEL", "verbose"],
    ["NEXTAUTH_URL", "not a url"],
  ])("refuses %s=%s, naming the variable", (name, value) => {
    const error = configError({ [name]: value });
    expect(error.message.startsWith(`Configuration error: ${name} `)).toBe(true);
    expect(error.message).not.toContain("\n");
  });

  it("tells someone still using KEYHOLD_TRUST_PROXY what replaced it", () => {
    expect(configError({ KEYHOLD_TRUST_PROXY: "1" }).message).toMatch(/KEYHOLD_TRUSTED_PROXIES/);
    expect(() => parseEnv({ KEYHOLD_TRUST_PROXY: "0" })).not.toThrow();
  });

  it("reads KEYHOLD_TRUSTED_PROXIES as addresses and CIDR ranges, separated by commas or spaces", () => {
    const ranges = parseEnv({ KEYHOLD_TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8 fd00::/8" }).KEYHOLD_TRUSTED_PROXIES;
    expect(ranges.map(([address, bits]) => `${address.toString()}/${bits}`)).toEqual(["127.0.0.1/32", "10.0.0.0/8", "fd00::/8"]);
  });

  it("accepts KEYHOLD_HOST as an IP address or a host name", () => {
    expect(parseEnv({ KEYHOLD_HOST: "127.0.0.1" }).KEYHOLD_HOST).toBe("127.0.0.1");
    expect(parseEnv({ KEYHOLD_HOST: "::" }).KEYHOLD_HOST).toBe("::");
    expect(parseEnv({ KEYHOLD_HOST: "localhost" }).KEYHOLD_HOST).toBe("localhost");
  });

  it("accepts an absolute NEXTAUTH_URL", () => {
    expect(parseEnv({ NEXTAUTH_URL: "https://keys.example.com" }).NEXTAUTH_URL).toBe("https://keys.example.com");
  });
});

describe("parseEnv: NEXTAUTH_URL scheme", () => {
  it.each(["ftp://example.com", "mailto:a@b.c"])("refuses NEXTAUTH_URL=%s, naming the variable", (value) => {
    expect(() => parseEnv({ NEXTAUTH_URL: value })).toThrow(/^Configuration error: NEXTAUTH_URL must be an absolute http\(s\) URL$/);
  });
});
