import { env } from "../env";
import { ApiError } from "../errors/api-error";
import type { CachedKey } from "../keys/cache";
import { sharedKeyVerifier } from "../keys/shared-verifier";
import type { Verification } from "../keys/verify";
import { processSingleton } from "../process/process-singleton";
import { InvalidKeyThrottle } from "../ratelimit/invalid-key-throttle";
import type { RateLimitResult } from "../ratelimit/limiter";
import { throttleAddress } from "../ratelimit/throttle-address";
import type { RequestUrl } from "./api-request";
import { extractKey } from "./extract-key";
import { rateLimitHeaders, secondsUntil } from "./ratelimit-headers";

export type Authentication =
  { ok: true; key: CachedKey; ratelimit: RateLimitResult | null; remaining: number | null } | { ok: false; error: ApiError; keyId: string | null };

function throttle(): InvalidKeyThrottle {
  return processSingleton("keyholdInvalidKeyThrottle", () => new InvalidKeyThrottle(env().KEYHOLD_INVALID_KEY_LIMIT));
}

/** Who is calling: the key presented in the headers, verified for `scopes` from `ip`. Never throws. */
export async function authenticate(headers: Headers, url: RequestUrl, ip: string | null, scopes: readonly string[], cost = 1): Promise<Authentication> {
  const address = throttleAddress(ip);
  const blockedMs = throttle().blockedFor(address);
  if (blockedMs > 0) {
    const seconds = String(secondsUntil(Date.now() + blockedMs));
    return {
      ok: false,
      keyId: null,
      error: new ApiError("rate_limited", "Too many invalid API keys from this address. Retry after the time in the Retry-After header.", {
        headers: { "Retry-After": seconds, "RateLimit-Reset": seconds },
      }),
    };
  }

  let candidate: string;
  try {
    candidate = extractKey(headers, url);
  } catch (error) {
    if (error instanceof ApiError && error.code === "invalid_key") throttle().recordInvalid(address);
    return { ok: false, keyId: null, error: error as ApiError };
  }

  const result = await sharedKeyVerifier().verify(candidate, scopes, { ip, cost });
  if (result.valid) return { ok: true, key: result.key, ratelimit: result.ratelimit, remaining: result.remaining };
  if (result.code === "invalid_key") throttle().recordInvalid(address);
  return { ok: false, keyId: result.key?.id ?? null, error: refusal(result, scopes) };
}

function refusal(result: Extract<Verification, { valid: false }>, scopes: readonly string[]): ApiError {
  const headers = result.ratelimit ? rateLimitHeaders(result.ratelimit) : undefined;
  if (result.code === "insufficient_scope") {
    return new ApiError("insufficient_scope", undefined, { details: { required: scopes }, headers });
  }
  return new ApiError(result.code, undefined, { headers });
}
