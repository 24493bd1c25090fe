import { readdirSync, readFileSync } from "node:fs";

// A process and everything it started, read from /proc (Linux): what `npm run bench:memory`
// measures and what the e2e tests inspect to prove production runs no tsx or esbuild.

export interface ProcessInfo {
  pid: number;
  /** The command line, arguments joined by spaces. */
  command: string;
  /** Resident memory (VmRSS), bytes. */
  rss: number;
  /** Proportional share of resident memory (Pss): pages shared with other processes, like node's own code, count once across them. */
  pss: number;
}

function read(file: string): string | null {
  try {
    return readFileSync(file, "utf8");
  } catch {
    return null; // the process exited meanwhile
  }
}

function kilobytes(text: string | null, field: string): number {
  const match = text?.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"));
  return match ? Number(match[1]) * 1024 : 0;
}

function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    // The parent pid is the second field after the command, which is in parentheses and may hold spaces.
    const stat = read(`/proc/${entry}/stat`);
    const parent = stat ? Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) : Number.NaN;
    if (Number.isInteger(parent)) children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]) ?? []));
  return found;
}

export function processTree(root: number): ProcessInfo[] {
  return descendants(root).flatMap((pid) => {
    const status = read(`/proc/${pid}/status`);
    const command = read(`/proc/${pid}/cmdline`);
    if (status === null || command === null) return [];
    return [
      {
        pid,
        command: command.split("\0").filter(Boolean).join(" "),
        rss: kilobytes(status, "VmRSS"),
        pss: kilobytes(read(`/proc/${pid}/smaps_rollup`), "Pss"),
      },
    ];
  });
}
