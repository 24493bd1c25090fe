import type { RateLimitResult } from "../ratelimit/limiter";

// RateLimit-Limit, -Remaining and -Reset (whole seconds until the window resets, rounded up),
// plus Retry-After when refused (DESIGN.md section 7.2).
export function rateLimitHeaders(result: RateLimitResult, now = Date.now()): Record<string, string> {
  const reset = String(secondsUntil(result.resetAt, now));
  const headers: Record<string, string> = {
    "RateLimit-Limit": String(result.limit),
    "RateLimit-Remaining": String(Math.max(0, result.remaining)),
    "RateLimit-Reset": reset,
  };
  if (!result.allowed) headers["Retry-After"] = reset;
  return headers;
}

export function secondsUntil(at: number, now = Date.now()): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}
