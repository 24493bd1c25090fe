import { expect } from "vitest";

// What a command-line run printed and how it ended, and the checks every CLI test makes of it
// (DESIGN.md section 13: exit 0 quietly on stderr, or one "error:" line and exit 1 or 2).

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function expectSuccess(run: Run): void {
  expect(run.stderr, run.stderr).toBe("");
  expect(run.code).toBe(0);
}

export function expectOneLineError(run: Run, code: 1 | 2, pattern: RegExp): void {
  expect(run.code, run.stderr).toBe(code);
  expect(run.stdout).toBe("");
  const lines = run.stderr.split("\n").filter((line) => line !== "");
  expect(lines, run.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(lines[0]).toMatch(pattern);
  expect(run.stderr).not.toMatch(/\n\s+at /);
}
