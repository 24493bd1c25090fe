// Process-wide singletons. Next bundles route code apart from the server (lib/server) and from
// each other, so one process may load several copies of a module: a module-level variable would
// give each copy its own cache, pool or registry. Every copy finds the one map on globalThis
// instead. A map, not a property per name: the verification path looks several up per request,
// and a keyed read of the global object costs a quarter of a microsecond (a Map.get, a few ns).

const HOLDER = "keyholdSingletons";
const holder = globalThis as unknown as { [HOLDER]?: Map<string, unknown> };
const store = (holder[HOLDER] ??= new Map());

/** The process's one `name`, made by `create` on first use. Names start with `keyhold`. */
export function processSingleton<T>(name: `keyhold${string}`, create: () => T): T {
  let value = store.get(name);
  if (value === undefined) {
    value = create();
    store.set(name, value);
  }
  return value as T;
}

/** The process's `name` if something has made it, without making it. */
export function existingProcessSingleton<T>(name: `keyhold${string}`): T | undefined {
  return store.get(name) as T | undefined;
}

/** Puts `value` in place of the process's `name` (undefined: the next use makes it afresh). For tests. */
export function replaceProcessSingleton<T>(name: `keyhold${string}`, value: T | undefined): void {
  if (value === undefined) store.delete(name);
  else store.set(name, value);
}
