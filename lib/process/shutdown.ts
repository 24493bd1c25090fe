// Work that must finish before the process exits. One list per process: the server
// (lib/server/http-server.ts) and Next's bundled route code load separate copies of this module.
import { processSingleton } from "./process-singleton";

type Hook = () => Promise<void> | void;
// "flush" hooks write buffered data out; "close" hooks release what the flushes still need.
type Phase = "flush" | "close";

const registry = processSingleton<{ hooks: Record<Phase, Hook[]>; running?: Promise<void> }>("keyholdShutdown", () => ({
  hooks: { flush: [], close: [] },
}));

export function onShutdown(phase: Phase, hook: Hook): void {
  registry.hooks[phase].push(hook);
}

export function runShutdownHooks(): Promise<void> {
  registry.running ??= (async () => {
    for (const phase of ["flush", "close"] as const) {
      await Promise.all(
        registry.hooks[phase].map(async (hook) => {
          try {
            await hook();
          } catch (error) {
            console.error(`shutdown (${phase}) failed:`, error instanceof Error ? error.message : error);
          }
        }),
      );
    }
  })();
  return registry.running;
}
