import { PGlite } from "@electric-sql/pglite";

// PostgreSQL's memory settings for the embedded database. PGlite runs PostgreSQL in one
// WebAssembly memory that starts at 128 MiB (the module's own minimum) and grows, never shrinks,
// up to 2 GiB. At PostgreSQL's defaults (shared_buffers 128 MB) it grows to ~190 MiB at once and
// the launcher idles near 300 MB; with these it stays within its first 128 MiB for Keyhold's
// workload. Why each figure: docs/architecture.md, "Memory".

export const PGLITE_POSTGRES_SETTINGS = {
  // The page cache. Keyhold's hot path reads keys from its own cache, not from here.
  shared_buffers: "16MB",
  // Per sort or hash step of a query; the dashboard's largest sorts are pages of 100 rows.
  work_mem: "2MB",
  // Vacuum and index builds (migrations): PostgreSQL's 64 MB default would grow the memory for good.
  maintenance_work_mem: "16MB",
  temp_buffers: "2MB",
} as const;

export function pgliteStartParams(): string[] {
  const settings = Object.entries(PGLITE_POSTGRES_SETTINGS).flatMap(([name, value]) => ["-c", `${name}=${value}`]);
  return [...PGlite.defaultStartParams, ...settings];
}
