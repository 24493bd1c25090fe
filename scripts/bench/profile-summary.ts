// `tsx scripts/bench/profile-summary.ts FILE.cpuprofile [N]`: the N functions (default 20) with
// the most self time in a V8 CPU profile (node --cpu-prof), with their share of all samples.
import { readFileSync } from "node:fs";
import path from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const [file, count = "20"] = process.argv.slice(2);
if (!file) {
  console.error("usage: tsx scripts/bench/profile-summary.ts FILE.cpuprofile [N]");
  process.exit(1);
}
const profile = JSON.parse(readFileSync(file, "utf8")) as Profile;
const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
const selfTime = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const frame = frames.get(id)!;
  const where = frame.url ? `${path.basename(frame.url)}:${frame.lineNumber + 1}` : "";
  const name = `${frame.functionName || "(anonymous)"} ${where}`.trim();
  const delta = profile.timeDeltas[i] ?? 0;
  selfTime.set(name, (selfTime.get(name) ?? 0) + delta);
  total += delta;
});
console.log(`${(total / 1000).toFixed(0)} ms sampled`);
for (const [name, micros] of [...selfTime].sort((a, b) => b[1] - a[1]).slice(0, Number(count))) {
  console.log(`${((micros / total) * 100).toFixed(1).padStart(5)}%  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}`);
}
