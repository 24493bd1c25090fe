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

export interface CpuTimes {
  /** The process's main thread (JavaScript's event loop). */
  main: number;
  /** Every thread of the process: the main thread plus libuv's pool, V8's GC helpers, workers. */
  process: number;
  /** Every PostgreSQL process on the machine (the backends writing usage, WAL, checkpoints). */
  postgres: number;
}

/** CPU seconds so far, PostgreSQL's per process: backends come and go between two samples. */
export interface CpuSample extends Omit<CpuTimes, "postgres"> {
  postgres: Map<number, number>;
}

/** The CPU seconds spent between two samples. */
export function cpuBetween(before: CpuSample, after: CpuSample): CpuTimes {
  let postgres = 0;
  // A backend that exited meanwhile is missed; one that started counts from zero.
  for (const [pid, seconds] of after.postgres) postgres += seconds - (before.postgres.get(pid) ?? 0);
  return { main: after.main - before.main, process: after.process - before.process, postgres };
}

export function cpuSample(pid: number): CpuSample {
  const postgres = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let command: string;
    try {
      command = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (command.startsWith("postgres")) postgres.set(Number(entry), ticks(`/proc/${entry}/stat`) / TICKS_PER_SECOND);
  }
  return {
    main: ticks(`/proc/${pid}/task/${pid}/stat`) / TICKS_PER_SECOND,
    process: ticks(`/proc/${pid}/stat`) / TICKS_PER_SECOND,
    postgres,
  };
}
