import { sharedLoginThrottle, type Attempt, type LoginThrottle } from "./login-throttle";

/**
 * Runs a password check through the sign-in throttle: waits what it says, then records the
 * outcome (null is a wrong password). "refused" means the check did not run. A check that
 * throws counts neither way.
 */
export async function throttledCheck<T>(
  attempt: Attempt,
  check: () => Promise<T | null>,
  throttle: LoginThrottle = sharedLoginThrottle(),
): Promise<T | null | "refused"> {
  const admission = throttle.begin(attempt);
  if ("refused" in admission) return "refused";
  let outcome: "success" | "failure" | "unknown" = "unknown";
  try {
    // Waiting here (rather than refusing) slows guessing while a user who mistyped just sees a pause.
    if (admission.wait > 0) await new Promise((resolve) => setTimeout(resolve, admission.wait));
    const result = await check();
    outcome = result === null ? "failure" : "success";
    return result;
  } finally {
    throttle.finish(attempt, outcome);
  }
}
