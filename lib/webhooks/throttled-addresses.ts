import { processSingleton } from "../process/process-singleton";

// Addresses the invalid-key throttle has just started refusing, waiting for the next usage
// flush to turn them into security.invalid_key_flood events. The throttle only adds to this set
// (O(1), no I/O), so the request path never waits on webhooks. One set per process: the throttle
// runs in Next's route bundle and the flush hook may be registered from the server's copy.

const MAX_PENDING = 10_000;
const pending = processSingleton("keyholdThrottledAddresses", () => new Set<string>());

export function noteThrottledAddress(address: string): void {
  // A flood of distinct addresses must not grow memory without bound; one alert per flush
  // window is what matters, and those already noted are sent.
  if (pending.size < MAX_PENDING) pending.add(address);
}

export function takeThrottledAddresses(): string[] {
  const addresses = [...pending];
  pending.clear();
  return addresses;
}
