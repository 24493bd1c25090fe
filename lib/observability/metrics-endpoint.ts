import { createHash, timingSafeEqual } from "node:crypto";

import { getPoolStats } from "../db/client";
import { ApiError } from "../errors/api-error";
import { getUsageRecorder } from "../usage/recorder";
import { metrics, setMetricSources } from "./metrics";

// GET /api/metrics: off (404) unless KEYHOLD_METRICS_TOKEN is set, and then only for that
// bearer token. Metrics reveal traffic and key ids' activity, so they are not public.

/** Why the request may not read the metrics, or null when it may. */
export function refuseMetrics(authorization: string | null, token: string | undefined): ApiError | null {
  if (!token) return new ApiError("not_found", "No API route at this path.");
  const presented = /^Bearer +(.*?) *$/i.exec(authorization ?? "")?.[1];
  if (!presented) return new ApiError("missing_key", "Metrics need `Authorization: Bearer <KEYHOLD_METRICS_TOKEN>`.");
  if (!sameSecret(presented, token)) return new ApiError("invalid_key", "The metrics token is not valid.");
  return null;
}

// Compared as SHA-256 digests: timingSafeEqual needs equal lengths, and comparing the lengths
// of the raw strings first would tell an attacker the token's length.
function sameSecret(presented: string, expected: string): boolean {
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

export async function scrapeMetrics(): Promise<{ contentType: string; body: string }> {
  setMetricSources({ usage: () => getUsageRecorder().stats(), pool: getPoolStats });
  const { registry } = metrics();
  return { contentType: registry.contentType, body: await registry.metrics() };
}
