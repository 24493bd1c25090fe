import { existsSync } from "node:fs";
import path from "node:path";

// The folder Keyhold runs from (the one holding prisma/migrations and .next). The launcher and
// server run from three places at different depths: TypeScript in scripts/ (`npm run dev`), a
// bundle in .next/keyhold/ (`npm start`) and a bundle in the standalone output's scripts/.
export function appRoot(from: string): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, "prisma", "migrations"))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no Keyhold installation (prisma/migrations) above ${from}`);
  }
}
