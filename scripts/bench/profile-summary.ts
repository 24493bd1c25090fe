// `tsx scripts/bench/profile-summary.ts FILE.cpuprofile [N] [--inclusive]`: the N functions
// (default 20) with the most self time in a V8 CPU profile (node --cpu-prof), with their share of
// all samples; with --inclusive, time with the function anywhere on the stack (a handler and all
// it calls), which shows what a layer costs where self time is spread thin.
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const args = process.argv.slice(2);
const inclusive = args.includes("--inclusive");
const [file, count = "20"] = args.filter((arg) => arg !== "--inclusive");
if (!file) {
  console.error("usage: tsx scripts/bench/profile-summary.ts FILE.cpuprofile [N] [--inclusive]");
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const names = new Map(
  profile.nodes.map((node) => {
    const frame = node.callFrame;
    const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : "";
    return [node.id, `${frame.functionName || "(anonymous)"} ${where}`.trim()];
  }),
);
const parents = new Map<number, number>();
for (const node of profile.nodes) for (const child of node.children ?? []) parents.set(child, node.id);

const time = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  total += delta;
  // A recursive function counts once per sample.
  const counted = new Set<string>();
  for (let node: number | undefined = id; node !== undefined; node = inclusive ? parents.get(node) : undefined) {
    const name = names.get(node)!;
    if (counted.has(name)) continue;
    counted.add(name);
    time.set(name, (time.get(name) ?? 0) + delta);
  }
});
console.log(`${(total / 1000).toFixed(0)} ms sampled${inclusive ? ", inclusive time" : ""}`);
for (const [name, micros] of [...time].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}
