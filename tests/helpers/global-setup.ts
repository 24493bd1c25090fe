import type { TestProject } from "vitest/node";

import { migrate } from "../../lib/db/migrate";
import { createTestDatabase } from "./test-database";

declare module "vitest" {
  export interface ProvidedContext {
    databaseUrl: string;
  }
}

// One migrated database for the whole integration run; tests that need an empty or
// private one make their own with createTestDatabase().
export default async function setup(project: TestProject) {
  const database = await createTestDatabase();
  await migrate(database.url);
  project.provide("databaseUrl", database.url);
  console.log(`integration tests use a fresh ${database.kind} database`);
  return () => database.drop();
}
