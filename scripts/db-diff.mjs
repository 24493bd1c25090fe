// Writes the SQL migration for the changes in prisma/schema.prisma since the last
// migration: `npm run db:diff -- <name>`.
//
// Prisma 7's migrate commands need a native engine that is downloaded on first use, and
// these machines reach only the npm registry. Prisma 6.19's Wasm schema engine diffs two
// schema files offline, so it is installed once into .cache/prisma6 and run on a copy of
// the schema as it was at the last migration (prisma/migrations/schema.snapshot.prisma)
// and the current one, both under .cache/prisma6/prisma where that engine looks for them.
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";

const PRISMA6 = "6.19.3";
const root = path.resolve(import.meta.dirname, "..");
const cacheDir = path.join(root, ".cache", "prisma6");
const migrationsDir = path.join(root, "prisma", "migrations");
const snapshot = path.join(migrationsDir, "schema.snapshot.prisma");
const workDir = path.join(cacheDir, "prisma");

// The Wasm engine opens one connection through its adapter even for a file-to-file diff,
// so it needs some PostgreSQL; it creates nothing there.
const adapterUrl = process.env.DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/postgres";

const name = process.argv[2];
const check = name === "--check";
if (!name || (!check && !/^[a-z0-9_]+$/.test(name))) {
  console.error("usage: npm run db:diff -- <migration_name in snake_case>   (or --check: fail if schema.prisma has changes without a migration)");
  process.exit(1);
}

if (!existsSync(path.join(cacheDir, "node_modules", "prisma", "package.json"))) {
  console.error(`Installing prisma@${PRISMA6} (Wasm schema engine) into .cache/prisma6 ...`);
  mkdirSync(cacheDir, { recursive: true });
  writeFileSync(path.join(cacheDir, "package.json"), JSON.stringify({ private: true }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", `prisma@${PRISMA6}`, `@prisma/adapter-pg@${PRISMA6}`], {
    cwd: cacheDir,
    stdio: "inherit",
  });
}

// Prisma 6 wants a url in the datasource and no Prisma 7 generator options; that url is
// never used for a file-to-file diff.
function prepare(source, target) {
  const text = source === null ? "" : readFileSync(source, "utf8").replace(/generator\s+\w+\s*\{[^}]*\}/g, "");
  const body = text.replace(/datasource\s+\w+\s*\{[^}]*\}/g, "");
  writeFileSync(target, `datasource db {\n  provider = "postgresql"\n  url      = "postgresql://unused@127.0.0.1/unused"\n}\n${body}`);
}

rmSync(workDir, { recursive: true, force: true });
mkdirSync(workDir, { recursive: true });
prepare(existsSync(snapshot) ? snapshot : null, path.join(workDir, "from.prisma"));
prepare(path.join(root, "prisma", "schema.prisma"), path.join(workDir, "to.prisma"));
writeFileSync(
  path.join(cacheDir, "prisma.config.ts"),
  `import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
export default defineConfig({
  experimental: { adapter: true },
  engine: "js",
  adapter: async () => new PrismaPg({ connectionString: ${JSON.stringify(adapterUrl)} }),
});
`,
);

const prismaCli = path.join(cacheDir, "node_modules", "prisma", "build", "index.js");
const result = spawnSync(
  process.execPath,
  [
    prismaCli,
    "migrate",
    "diff",
    "--config",
    path.join(cacheDir, "prisma.config.ts"),
    "--from-schema-datamodel",
    path.join(workDir, "from.prisma"),
    "--to-schema-datamodel",
    path.join(workDir, "to.prisma"),
    "--script",
  ],
  {
    cwd: cacheDir,
    encoding: "utf8",
    env: {
      ...process.env,
      PRISMA_HIDE_UPDATE_MESSAGE: "1",
      // Checked for existence only; the Wasm engine does the work.
      PRISMA_QUERY_ENGINE_LIBRARY: process.execPath,
      PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
    },
  },
);
rmSync(workDir, { recursive: true, force: true });
if (result.status !== 0) {
  console.error(result.stderr || result.stdout);
  process.exit(2);
}

const sql = result.stdout.trim();
if (sql === "" || sql === "-- This is an empty migration.") {
  console.log("schema.prisma has no changes since the last migration.");
  process.exit(0);
}
if (check) {
  console.error("schema.prisma has changes that no migration covers. Run: npm run db:diff -- <name>");
  process.exit(1);
}

const stamp = new Date().toISOString().replace(/\D/g, "").slice(0, 14);
const dir = path.join(migrationsDir, `${stamp}_${name}`);
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, "migration.sql"), `${sql}\n`);
copyFileSync(path.join(root, "prisma", "schema.prisma"), snapshot);
if (!existsSync(path.join(migrationsDir, "migration_lock.toml"))) {
  writeFileSync(path.join(migrationsDir, "migration_lock.toml"), 'provider = "postgresql"\n');
}
const count = readdirSync(migrationsDir).filter((entry) => /^\d{14}_/.test(entry)).length;
const checksum = createHash("sha256").update(`${sql}\n`).digest("hex").slice(0, 12);
console.log(`Wrote ${path.relative(root, dir)}/migration.sql (${count} migrations, sha256 ${checksum}...)`);
