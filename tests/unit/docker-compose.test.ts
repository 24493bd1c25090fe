import { readFileSync } from "node:fs";
import path from "node:path";

import { describe, expect, it } from "vitest";

// Issue 13 item 13: a compose file that falls back to a fixed database password or to
// http://localhost starts an instance anyone can guess into, or one whose sign-in links point
// nowhere. Compose's `${VAR:?message}` stops `docker compose up` with that message instead.
const compose = readFileSync(path.join(import.meta.dirname, "..", "..", "docker-compose.yml"), "utf8");

function references(name: string): string[] {
  return [...compose.matchAll(new RegExp(`\\$\\{${name}(:?[-?+])?([^}]*)\\}`, "g"))].map((match) => match[0]);
}

describe("docker-compose.yml", () => {
  it.each(["POSTGRES_PASSWORD", "NEXTAUTH_URL", "NEXTAUTH_SECRET"])("requires %s with a message, and never falls back to a default", (name) => {
    const uses = references(name);
    expect(uses.length).toBeGreaterThan(0);
    for (const use of uses) expect(use).toMatch(new RegExp(`^\\$\\{${name}:\\?\\s*\\S.{10,}\\}$`));
  });
});
