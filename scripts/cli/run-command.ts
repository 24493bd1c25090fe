// What Keyhold's command-line entry points share (DESIGN.md section 13): exit code 0 on success,
// 1 on a user error with one line on stderr, 2 on anything else, and a Ctrl-C that never leaves
// a database half-written.
import { lockDataDir } from "../../lib/process/data-dir";

/** Wrong input from whoever ran the command: exit 1 with its message. */
export class UsageError extends Error {}

export interface Failure {
  code: 1 | 2;
  message: string;
}

export function write(stream: NodeJS.WriteStream, text: string): Promise<void> {
  return new Promise((resolve) => stream.write(`${text}\n`, () => resolve()));
}

/** Appended to a code-2 line: the stack is for whoever asks, not for every user. */
export function debugHint(): string {
  return process.env.KEYHOLD_DEBUG === "1" ? "" : " (KEYHOLD_DEBUG=1 shows details)";
}

export function firstSentence(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split(/(?<=\.)\s/)[0];
}

/**
 * The data folder's lock for a command that opens the embedded database. PGlite is
 * single-process: opened beside the running server it could be corrupted, so say to stop it.
 */
export function lockForCommand(dataDir: string, command: string): () => void {
  try {
    return lockDataDir(dataDir);
  } catch (error) {
    throw lockRefusal(error, command);
  }
}

/** The one line for a data folder another process holds. */
export function lockRefusal(error: unknown, command: string): UsageError {
  const reason = (error instanceof Error ? error.message : String(error)).split(";")[0];
  return new UsageError(`${reason}; stop it first, then run the ${command} again.`);
}

/**
 * SIGINT and SIGTERM exit at once (code 2) unless busy() says work is under way that must end
 * cleanly: then the first one calls interrupt() and prints the line it returns, and a second
 * one exits.
 */
export function onInterrupt(busy: () => boolean, interrupt: () => string): void {
  let interrupted = false;
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      if (!busy() || interrupted) {
        process.stderr.write("error: interrupted\n");
        process.exit(2);
      }
      interrupted = true;
      process.stderr.write(`${interrupt()}\n`);
    });
  }
}

/** Runs main on the process's arguments; a thrown error becomes one line on stderr and describe()'s exit code. */
export async function runCommand(main: (argv: string[]) => Promise<number>, describe: (error: unknown) => Failure): Promise<never> {
  try {
    process.exitCode = await main(process.argv.slice(2));
  } catch (error) {
    const { code, message } = describe(error);
    await write(process.stderr, `error: ${message.replace(/\s*\n\s*/g, " ")}`);
    if (code === 2 && process.env.KEYHOLD_DEBUG === "1") console.error(error);
    process.exitCode = code;
  }
  // Nothing may keep the process alive once the work is done (a pool, a stray timer).
  process.exit(process.exitCode);
}
