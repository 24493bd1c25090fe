// V8 sizes its heap for the machine and, with gigabytes free, lets garbage pile up to several
// times what is live: capped, the server collects sooner and stays within the memory budget
// (docs/architecture.md, "Memory"). A small young generation keeps the idle heap small.
// The launcher starts the server with these, and so does the benchmark, to measure what runs.
export function serverHeapFlags(maxHeapMb: number): string[] {
  return [`--max-old-space-size=${maxHeapMb}`, "--max-semi-space-size=2"];
}
