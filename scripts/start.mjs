// `npm start`: runs the launcher that `npm run build` bundled to plain JavaScript, in this
// process, so production starts no tsx or esbuild; with no build yet, builds first. Plain
// JavaScript itself, because it must run before anything is compiled. (In the standalone
// output, scripts/start.mjs is the bundled launcher itself.)
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const root = path.resolve(import.meta.dirname, "..");
const launcher = path.join(root, ".next", "keyhold", "start.mjs");

if (!existsSync(launcher)) {
  console.log("Keyhold: no production build found, running `npm run build` first");
  const build = spawnSync(process.execPath, [path.join(root, "scripts", "build.mjs")], { cwd: root, stdio: "inherit" });
  if (build.status !== 0) {
    console.error("Keyhold: build failed");
    process.exit(build.status ?? 2);
  }
}

await import(pathToFileURL(launcher).href);
