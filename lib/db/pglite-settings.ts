import { setFlagsFromString } from "node:v8";

import { PGlite, type PGliteOptions } from "@electric-sql/pglite";

// How the embedded database runs, for memory (figures: docs/architecture.md, "Memory").
// PGlite runs PostgreSQL in one WebAssembly memory that starts at 128 MiB (the module's own
// minimum) and grows, never shrinks, up to 2 GiB. At PostgreSQL's defaults (shared_buffers
// 128 MB) it grows to ~190 MiB at once and the launcher idles near 300 MB; with these settings it
// stays within its first 128 MiB for Keyhold's workload.
const POSTGRES_SETTINGS = {
  // The page cache. Keyhold's hot path reads keys from its own cache, not from here.
  shared_buffers: "16MB",
  // Per sort or hash step of a query; the dashboard's largest sorts are pages of 100 rows.
  work_mem: "2MB",
  // Vacuum and index builds (migrations): PostgreSQL's 64 MB default would grow the memory for good.
  maintenance_work_mem: "16MB",
  temp_buffers: "2MB",
} as const;

/**
 * The options to create PGlite with. Also has V8 compile WebAssembly with its baseline compiler
 * (Liftoff) only: optimising PostgreSQL's 9 MB of WebAssembly in the background cost 30-45 MB of
 * resident memory and CPU at every start, for queries that are small and few (the server caches keys).
 */
export function preparePglite(): Pick<PGliteOptions, "startParams"> {
  setFlagsFromString("--liftoff-only");
  const settings = Object.entries(POSTGRES_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
  return { startParams: [...PGlite.defaultStartParams, ...settings] };
}
