// The derived usage tables (DESIGN.md section 15.2), each with its time column and the retention
// that applies to it: the raw one (per-minute counts answer only while raw events are kept) or
// the derived one. Pruning, the benchmarks and the tests all read this one list.
export const DERIVED_USAGE_TABLES = [
  { table: "usage_rollups", column: "minute", raw: true },
  { table: "usage_hours", column: "hour", raw: false },
  { table: "usage_key_hours", column: "hour", raw: false },
  { table: "usage_path_hours", column: "hour", raw: false },
  { table: "usage_invalid_addresses", column: "hour", raw: false },
  { table: "usage_key_days", column: "day", raw: false },
  { table: "usage_path_days", column: "day", raw: false },
  { table: "usage_key_addresses", column: "day", raw: false },
] as const;
