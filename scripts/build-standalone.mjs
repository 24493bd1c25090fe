// Completes Next's standalone output into a self-contained Keyhold in .next/standalone: the
// launcher, server, admin CLI and backup commands bundled to plain JavaScript, the static
// assets and migrations, and the packages those scripts need that Next's trace of the app
// left out (PGlite is only used by the launcher). Run after `next build`; the Dockerfile
// copies the result, and tests/e2e/standalone.spec.ts runs it from a copy outside the repo.
// It also bundles the launcher and server for `npm start` in the repository (.next/keyhold),
// so production never compiles TypeScript at run time.
import { cpSync, existsSync, readFileSync, rmSync } from "node:fs";
import path from "node:path";

import { build } from "esbuild";

const root = path.resolve(import.meta.dirname, "..");
const out = path.join(root, ".next", "standalone");
const scripts = ["start", "server", "admin", "db-backup", "db-restore"];

if (!existsSync(path.join(out, ".next", "BUILD_ID"))) {
  console.error("build-standalone: .next/standalone has no build; run `next build` first (next.config.ts sets output: standalone)");
  process.exit(1);
}

const bundle = (names, outdir, prefix) =>
  build({
    entryPoints: Object.fromEntries(names.map((name) => [`${prefix}${name}`, path.join(root, "scripts", `${name}.ts`)])),
    outdir,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Packages stay imports, resolved from the nearest node_modules, so the server uses the
    // same copy of Next as the build output next to it.
    packages: "external",
    metafile: true,
    logLevel: "warning",
  });

const result = await bundle(scripts, out, "scripts/");
// .next/keyhold sits inside .next, which `next build` empties: it never outlives its build.
await bundle(["start", "server"], path.join(root, ".next", "keyhold"), "");

for (const [from, to] of [
  [".next/static", ".next/static"],
  ["public", "public"],
  ["prisma/migrations", "prisma/migrations"],
]) {
  const source = path.join(root, from);
  if (!existsSync(source)) continue;
  rmSync(path.join(out, to), { recursive: true, force: true });
  cpSync(source, path.join(out, to), { recursive: true });
}

// Required at run time by code no bundler or trace sees: the password-hashing worker threads
// (lib/crypto/password-hasher.ts) load bcryptjs from the working folder's node_modules.
const requiredAtRunTime = ["bcryptjs"];

const packageName = (specifier) =>
  specifier
    .split("/")
    .slice(0, specifier.startsWith("@") ? 2 : 1)
    .join("/");
const imported = new Set(
  Object.values(result.metafile.outputs)
    .flatMap((output) => output.imports)
    .filter((entry) => entry.external && !entry.path.startsWith("node:"))
    .map((entry) => packageName(entry.path))
    .concat(requiredAtRunTime),
);

// Next's trace keeps only the files the app's bundles use, so a package the scripts import may be
// there in part (a package.json without its code): each one comes in whole, with its
// dependencies. Next stays as traced (the server must use the traced build's copy), and so does
// the Prisma client: the app's bundles load the same runtime files as the scripts.
const traced = new Set(["next", "react", "react-dom", "@prisma/client"]);
const copied = new Set();
const copyWithDependencies = (name) => {
  if (traced.has(name) || copied.has(name) || name.startsWith("@types/")) return;
  const source = path.join(root, "node_modules", name);
  if (!existsSync(path.join(source, "package.json"))) return;
  const target = path.join(out, "node_modules", name);
  rmSync(target, { recursive: true, force: true });
  cpSync(source, target, { recursive: true, dereference: true });
  copied.add(name);
  const manifest = JSON.parse(readFileSync(path.join(source, "package.json"), "utf8"));
  for (const dependency of Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies })) copyWithDependencies(dependency);
};
for (const name of imported) copyWithDependencies(name);

const missing = [...imported].filter((name) => !existsSync(path.join(out, "node_modules", name, "package.json")));
if (missing.length > 0) {
  console.error(`build-standalone: not installed, so not in the standalone output: ${missing.join(", ")}`);
  process.exit(1);
}
console.log(
  `build-standalone: .next/standalone is complete (bundled ${scripts.length} scripts; with ${copied.size} packages in full); .next/keyhold holds the launcher for npm start`,
);
