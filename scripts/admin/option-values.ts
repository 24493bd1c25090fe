// Parsers for the values of create-key's options: durations, rate limits, refills, counts, scope
// and address lists, each failing with one line that names the option.
import { SCOPE_NAME_PATTERN } from "../../lib/keys/management-scopes";
import { UsageError } from "../cli/run-command";
import { formatMs, quote } from "./text";

const DURATION_UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export function parseDuration(flag: string, value: string, max: number): number {
  const match = /^([1-9]\d{0,9})(s|m|h|d)$/.exec(value.trim());
  if (!match) throw new UsageError(`${flag} must be a duration like 90s, 15m, 12h or 30d, not ${quote(value)}.`);
  const ms = Number(match[1]) * DURATION_UNITS[match[2]];
  if (ms > max) throw new UsageError(`${flag} must be at most ${formatMs(max)}, not ${quote(value)}.`);
  return ms;
}

export function parseRatelimit(value: string): { limit: number; windowMs: number } {
  const match = /^([^/]+)\/([^/]+)$/.exec(value.trim());
  const limit = match ? Number(match[1]) : NaN;
  if (!match || !/^[1-9]\d*$/.test(match[1]) || limit > 1_000_000) {
    throw new UsageError(`--ratelimit must be requests/window with 1 to 1000000 requests, e.g. 100/60s, not ${quote(value)}.`);
  }
  const windowMs = parseDuration("--ratelimit window", match[2], 86_400_000);
  if (windowMs < 1_000) throw new UsageError(`--ratelimit window must be from 1s to 24h, not ${quote(match[2])}.`);
  return { limit, windowMs };
}

export function parseCount(flag: string, value: string): number {
  if (!/^\d{1,10}$/.test(value.trim()) || Number(value) > 2_000_000_000) {
    throw new UsageError(`${flag} must be a whole number from 0 to 2000000000, not ${quote(value)}.`);
  }
  return Number(value);
}

export function parseRefill(value: string): { interval: "daily" | "monthly"; amount: number } {
  const match = /^([1-9]\d{0,9})\/(daily|monthly)$/.exec(value.trim());
  if (!match || Number(match[1]) > 2_000_000_000) {
    throw new UsageError(`--refill must be amount/daily or amount/monthly with 1 to 2000000000 uses, e.g. 1000/daily, not ${quote(value)}.`);
  }
  return { interval: match[2] as "daily" | "monthly", amount: Number(match[1]) };
}

/** The entries as given; createKeyRequest validates and normalises each, naming a bad one. */
export function parseAddressList(value: string): string[] {
  return value
    .split(",")
    .map((entry) => entry.trim())
    .filter(Boolean);
}

export function parseScopes(value: string): string[] {
  const scopes = value
    .split(",")
    .map((scope) => scope.trim())
    .filter(Boolean);
  const bad = scopes.find((scope) => !SCOPE_NAME_PATTERN.test(scope));
  if (bad !== undefined) {
    throw new UsageError(`--scopes: ${quote(bad)} is not a scope name; scopes look like resource:action, lowercase (orders:read).`);
  }
  return scopes;
}
