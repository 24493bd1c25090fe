import { getDb } from "../db/client";
import { processSingleton } from "../process/process-singleton";
import { onShutdown } from "../process/shutdown";
import { getRateLimiter } from "../ratelimit/limiter";
import { sharedKeyCache } from "./cache";
import { listenForKeyChanges } from "./invalidation";
import { KeyVerifier } from "./verify";

// The process's verifier, wired to the shared cache, returning its quota leases on shutdown
// and, on PostgreSQL, to change
// notifications from other instances. The embedded database has exactly one instance, whose
// own changes evict its cache directly.
export function sharedKeyVerifier(): KeyVerifier {
  return processSingleton("keyholdVerifier", () => {
    const cache = sharedKeyCache();
    const verifier = new KeyVerifier(getDb(), cache, getRateLimiter());
    // Credits leased and not spent go back to their keys (DESIGN.md section 15.3).
    onShutdown("flush", async () => {
      await verifier.quota.returnAll();
    });
    const url = process.env.DATABASE_URL;
    if (url && !process.env.KEYHOLD_EMBEDDED) {
      const listener = listenForKeyChanges(url, { onChange: (id) => cache.evictById(id), onReset: () => cache.clear() });
      onShutdown("close", () => listener.stop());
    }
    return verifier;
  });
}
