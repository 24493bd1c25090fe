import { getUsageRecorder } from "../usage/recorder";
import type { UsageEventInput } from "../usage/usage-event";
import { recordVerification } from "./metrics";
import { noteRequestKey, noteVerifiedKey } from "./request-context";

// Every verification attempt is an outcome in three places: the verification metrics, the
// request's log line, and usage (a stored event, or only a count when no key was looked up).
// Each place that decides an attempt (withApiKey, the verify endpoint, the request guard that
// refuses a key in the URL) records it through here, so none of them can leave a place out.

export interface VerificationAttempt extends UsageEventInput {
  /** Time to reach the outcome, for the verification histogram: the handler is not part of it. */
  decisionMs: number;
}

/**
 * `caller`: the key the request itself presented, in its log line's keyId and outcome.
 * `verified`: a key verified on a service's behalf (POST /api/v1/keys/verify), in
 * verifiedKeyId and verifiedOutcome.
 */
export function recordVerificationAttempt(whose: "caller" | "verified", attempt: VerificationAttempt): void {
  recordVerification(attempt.outcome, attempt.decisionMs / 1000);
  if (whose === "caller") noteRequestKey(attempt.keyId, attempt.outcome);
  else noteVerifiedKey(attempt.keyId, attempt.outcome);
  getUsageRecorder().record(attempt);
}
