import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { expect, test } from "@playwright/test";

import { processTree } from "../../scripts/bench/process-tree";
import { launch, waitForHealthy } from "../helpers/launcher";

// Production runs JavaScript compiled at build time: running TypeScript through tsx at start
// cost a loader in every process and three esbuild helper processes, about 40% of the memory of
// an idle installation (issue 18). The standalone output is checked in standalone.spec.ts.

const PORT = "3116";

test("npm start runs the bundled launcher and server: two node processes, no tsx or esbuild, the heap capped as configured", async () => {
  test.setTimeout(120_000);
  const dataDir = mkdtempSync(path.join(tmpdir(), "keyhold-compiled-"));
  const run = launch("start", { PORT, KEYHOLD_DATA_DIR: dataDir, NODE_ENV: "production", KEYHOLD_MAX_HEAP_MB: "160" });
  try {
    await run.waitForOutput(/ready on/);
    await waitForHealthy(`http://127.0.0.1:${PORT}`);
    const commands = processTree(run.child.pid!).map((entry) => entry.command);
    expect(commands).toEqual([
      expect.stringMatching(/ scripts\/start\.mjs start$/),
      expect.stringMatching(/ --max-old-space-size=160 .*\/\.next\/keyhold\/server\.mjs start$/),
    ]);
    for (const command of commands) expect(command).not.toMatch(/tsx|esbuild/);
    run.child.kill("SIGTERM");
    expect(await run.exited).toBe(0);
  } finally {
    if (run.child.exitCode === null) run.child.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  }
});
