import { readdirSync, readFileSync } from "node:fs";

// CPU time spent by processes, read from /proc (Linux): what `npm run bench` divides by the
// requests of a row to print the server's and the database's CPU per request. On a shared
// 2-core machine req/s swings by a third between runs; CPU per request moves far less.

// Linux reports user and system time in clock ticks of 1/100 s on every platform Node runs on.
const TICKS_PER_SECOND = 100;

function ticks(statFile: string): number {
  try {
    const stat = readFileSync(statFile, "utf8");
    // utime and stime are the 12th and 13th fields after the command, which is in parentheses.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0; // exited meanwhile
  }
}

export interface CpuSample {
  /** The process's main thread (JavaScript's event loop). */
  main: number;
  /** Every thread of the process: the main thread plus libuv's pool, V8's GC helpers, workers. */
  process: number;
  /** Every PostgreSQL process on the machine (the backends writing usage, WAL, checkpoints). */
  postgres: number;
}

/** CPU seconds so far; subtract two samples for what happened between them. */
export function cpuSample(pid: number): CpuSample {
  let postgres = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (command.startsWith("postgres")) postgres += ticks(`/proc/${entry}/stat`);
  }
  return {
    main: ticks(`/proc/${pid}/task/${pid}/stat`) / TICKS_PER_SECOND,
    process: ticks(`/proc/${pid}/stat`) / TICKS_PER_SECOND,
    postgres: postgres / TICKS_PER_SECOND,
  };
}
