import { readFileSync } from "node:fs";
import path from "node:path";

import { z } from "zod";

// The response headers next.config.ts declares (security headers, the API's Cache-Control), read
// from the build's routes manifest, so the API dispatcher adds exactly what Next would add and the
// headers stay declared in one place. Anything in the manifest that the dispatcher could not
// reproduce (conditional headers, rewrites, redirects of our own) turns the dispatcher off.

const manifestSchema = z.object({
  basePath: z.string(),
  headers: z.array(
    z.object({
      regex: z.string(),
      headers: z.array(z.object({ key: z.string(), value: z.string() })),
      has: z.unknown().optional(),
      missing: z.unknown().optional(),
    }),
  ),
  redirects: z.array(z.object({ internal: z.boolean().optional() })),
  rewrites: z.union([z.array(z.unknown()), z.object({ beforeFiles: z.array(z.unknown()), afterFiles: z.array(z.unknown()), fallback: z.array(z.unknown()) })]),
});

export type HeaderRules = (pathname: string) => [string, string][];

/** The header rules of the build in `dir`, or the reason the dispatcher cannot honour them. */
export function loadHeaderRules(dir: string): { rules: HeaderRules } | { unsupported: string } {
  let manifest: z.infer<typeof manifestSchema>;
  try {
    manifest = manifestSchema.parse(JSON.parse(readFileSync(path.join(dir, ".next", "routes-manifest.json"), "utf8")));
  } catch (error) {
    return { unsupported: `no readable routes manifest (${error instanceof Error ? error.name : "error"})` };
  }
  if (manifest.basePath !== "") return { unsupported: "next.config.ts sets a basePath" };
  if (manifest.headers.some((rule) => rule.has !== undefined || rule.missing !== undefined)) {
    return { unsupported: "next.config.ts has conditional headers" };
  }
  const rewrites = Array.isArray(manifest.rewrites) ? manifest.rewrites : Object.values(manifest.rewrites).flat();
  if (rewrites.length > 0) return { unsupported: "next.config.ts has rewrites" };
  if (manifest.redirects.some((redirect) => !redirect.internal)) return { unsupported: "next.config.ts has redirects" };

  const compiled = manifest.headers.map((rule) => ({ regex: new RegExp(rule.regex), headers: rule.headers }));
  return {
    rules(pathname) {
      // Later rules win for the same header, as in Next.
      const merged = new Map<string, [string, string]>();
      for (const rule of compiled) {
        if (!rule.regex.test(pathname)) continue;
        for (const { key, value } of rule.headers) merged.set(key.toLowerCase(), [key, value]);
      }
      return [...merged.values()];
    },
  };
}
