// Process-wide singletons. Next bundles route code apart from the server (lib/server) and from
// each other, so one process may load several copies of a module: a module-level variable would
// give each copy its own cache, pool or registry. Every copy finds the one on globalThis instead.

const store = globalThis as unknown as Record<string, unknown>;

/** The process's one `name`, made by `create` on first use. Names start with `keyhold`. */
export function processSingleton<T>(name: `keyhold${string}`, create: () => T): T {
  // ??= rather than `in`: setting a holder to undefined (as tests do to reset one) starts it afresh.
  store[name] ??= create();
  return store[name] as T;
}

/** The process's `name` if something has made it, without making it. */
export function existingProcessSingleton<T>(name: `keyhold${string}`): T | undefined {
  return store[name] as T | undefined;
}
