import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterEach, describe, expect, it } from "vitest";

import { loadHeaderRules } from "../../lib/server/next-header-rules";

// The headers next.config.ts declares, as the API dispatcher reads them from a build.

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function build(manifest: Record<string, unknown>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "keyhold-manifest-"));
  dirs.push(dir);
  mkdirSync(path.join(dir, ".next"));
  writeFileSync(
    path.join(dir, ".next", "routes-manifest.json"),
    JSON.stringify({ basePath: "", redirects: [{ internal: true }], rewrites: { beforeFiles: [], afterFiles: [], fallback: [] }, ...manifest }),
  );
  return dir;
}

const headers = [
  {
    regex: "^(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?(?:/)?$",
    headers: [
      { key: "X-Content-Type-Options", value: "nosniff" },
      { key: "Cache-Control", value: "public" },
    ],
  },
  { regex: "^/api(?:/((?:[^/]+?)(?:/(?:[^/]+?))*))?(?:/)?$", headers: [{ key: "Cache-Control", value: "no-store" }] },
];

describe("loadHeaderRules", () => {
  it("applies every rule whose path matches, a later rule winning for the same header", () => {
    const loaded = loadHeaderRules(build({ headers }));
    if (!("rules" in loaded)) throw new Error(loaded.unsupported);
    expect(loaded.rules("/api/v1/whoami")).toEqual([
      ["X-Content-Type-Options", "nosniff"],
      ["Cache-Control", "no-store"],
    ]);
    expect(loaded.rules("/login")).toEqual([
      ["X-Content-Type-Options", "nosniff"],
      ["Cache-Control", "public"],
    ]);
  });

  it("declines what it could not reproduce as Next does, and a missing build", () => {
    expect(loadHeaderRules(build({ headers: [{ ...headers[0], has: [{ type: "header", key: "x" }] }] }))).toEqual({
      unsupported: "next.config.ts has conditional headers",
    });
    expect(loadHeaderRules(build({ headers, rewrites: { beforeFiles: [{}], afterFiles: [], fallback: [] } }))).toEqual({
      unsupported: "next.config.ts has rewrites",
    });
    expect(loadHeaderRules(build({ headers, redirects: [{ internal: true }, {}] }))).toEqual({ unsupported: "next.config.ts has redirects" });
    expect(loadHeaderRules(build({ headers, basePath: "/keys" }))).toEqual({ unsupported: "next.config.ts sets a basePath" });
    expect(loadHeaderRules(path.join(tmpdir(), "keyhold-no-such-build"))).toMatchObject({
      unsupported: expect.stringContaining("no readable routes manifest"),
    });
  });
});
