import { randomBytes } from "node:crypto";

import type { Page } from "@playwright/test";

import type { Role } from "../../lib/access/roles";
import { createUser } from "../../lib/users/service";
import { e2eDb } from "./e2e-database";

export interface TestUser {
  id: string;
  email: string;
  password: string;
  role: Role;
}

/** A new dashboard user on the e2e server's database, made through the real user service. */
export async function createTestUser(role: Role): Promise<TestUser> {
  const email = `${role.toLowerCase()}-${randomBytes(4).toString("hex")}@example.com`;
  const password = `pw-${randomBytes(9).toString("base64url")}`;
  const user = await createUser(e2eDb(), { email, name: `${role} tester`, password, role }, { type: "system", id: null });
  return { id: user.id, email, password, role };
}

/** Signs in through the login form, as a person would, and waits for the dashboard. */
export async function signIn(page: Page, user: Pick<TestUser, "email" | "password">): Promise<void> {
  await page.goto("/login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === "/");
}
