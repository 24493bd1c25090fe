import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";

import { test as base, expect, type BrowserContext, type Locator, type Page } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { createScope } from "../../lib/scopes/service";
import { changeRole, resetPassword } from "../../lib/users/service";
import { createTestUser, signIn, type TestUser } from "../helpers/dashboard-users";
import { e2eDb } from "../helpers/e2e-database";

// Dashboard sign-in, users and roles (DESIGN.md sections 5 and 14): one generic answer for every
// failed sign-in, throttled guessing, role and status changes that apply on the next request,
// OWNER-only user management, and a server that refuses a VIEWER's mutation however it is sent.

const system = { type: "system" as const, id: null };
const CREDENTIALS_CALLBACK = "/api/auth/callback/credentials";
const GENERIC_FAILURE = "Wrong email or password.";

// Every page gets a client address of its own (the e2e server trusts X-Forwarded-For from loopback):
// sign-in failures are throttled per address too, and must not slow down other tests.
function clientAddress(): string {
  const octet = () => Math.floor(Math.random() * 254) + 1;
  return `10.${octet()}.${octet()}.${octet()}`;
}

const unique = (prefix: string) => `${prefix}-${randomBytes(4).toString("hex")}`;

const test = base.extend<{ open: (user?: Pick<TestUser, "email" | "password">) => Promise<Page> }>({
  // A browser context (cookies, address) per person in the test, so several can be signed in at once.
  open: async ({ browser }, provide) => {
    const contexts: BrowserContext[] = [];
    await provide(async (user) => {
      const context = await browser.newContext({ extraHTTPHeaders: { "x-forwarded-for": clientAddress() } });
      contexts.push(context);
      const page = await context.newPage();
      if (user) await signIn(page, user);
      return page;
    });
    for (const context of contexts) await context.close();
  },
});

function nav(page: Page): Locator {
  return page.getByRole("navigation", { name: "Main" });
}

async function expectHeading(page: Page, title: string): Promise<void> {
  await expect(page.getByRole("heading", { level: 1, name: title, exact: true })).toBeVisible();
}

/** Every control that changes something, on any dashboard page. */
function mutationControls(page: Page): Locator {
  return (
    page
      .getByRole("button", { name: /^(New key|Create key|Edit|Rotate|Revoke|Add scope|Add user|Disable)\b/ })
      // Only this one link: other links are named after keys, whose names other tests chose.
      .or(page.getByRole("link", { name: "New key", exact: true }))
      .or(page.getByRole("combobox", { name: /^(Role of|Your role)/ }))
  );
}

interface Attempt {
  ms: number;
  status: number;
  body: string;
  message: string | null;
}

/** One sign-in through the form; `ms` is how long the credentials callback took to answer. */
async function attemptSignIn(page: Page, email: string, password: string): Promise<Attempt> {
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === CREDENTIALS_CALLBACK);
  const clicked = Date.now();
  await page.getByRole("button", { name: "Sign in", exact: true }).click();
  const response = await answered;
  const wallClock = Date.now() - clicked;
  const body = await response.text();
  const timing = response.request().timing();
  const ms = timing.responseStart > 0 ? timing.responseStart : wallClock;
  // The form's own alert, not Next's route announcer (also role=alert).
  const alert = page.getByRole("main").getByRole("alert");
  if (response.status() !== 200) await expect(alert).toBeVisible();
  const message = (await alert.count()) > 0 ? await alert.textContent() : null;
  return { ms: Math.round(ms), status: response.status(), body, message };
}

// Each answer includes a bcrypt comparison, whose time varies with the machine's load: the
// slowed attempt is compared with the quickest free one, and the margin is what a person notices.
const NOTICEABLE_MS = 800;

test.describe("sign in and out", () => {
  test("a user signs in, sees who they are, signs out, and the dashboard is closed again", async ({ open }) => {
    const user = await createTestUser("ADMIN");
    const page = await open(user);
    await expectHeading(page, "Overview");
    await expect(page.getByText(user.email)).toBeVisible();
    const session = (await page.context().cookies()).filter((cookie) => cookie.name.includes("next-auth.session-token"));
    expect(session.length).toBeGreaterThan(0);
    // The browser-visible session names the user and nothing derived from the password.
    const visible = await (await page.request.get("/api/auth/session")).json();
    expect(Object.keys(visible.user).sort()).toEqual(["email", "id", "name", "sv"]);

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    expect((await page.context().cookies()).some((cookie) => cookie.name.includes("next-auth.session-token"))).toBe(false);
    for (const pathname of ["/", "/keys", "/account"]) {
      await page.goto(pathname);
      await expect(page).toHaveURL((url) => url.pathname === "/login");
    }

    // A copy of the cookie taken before signing out is worth nothing after it (DESIGN.md 15.7).
    await page.context().addCookies(session);
    await page.goto("/keys");
    await expect(page).toHaveURL((url) => url.pathname === "/login");
  });

  test("a wrong password, an unknown email and a disabled account get the same generic answer", async ({ open }) => {
    const user = await createTestUser("VIEWER");
    const disabled = await createTestUser("VIEWER");
    await e2eDb().user.update({ where: { id: disabled.id }, data: { disabledAt: new Date() } });
    const page = await open();
    await page.goto("/login");

    const attempts = [
      await attemptSignIn(page, user.email, `${user.password}x`),
      await attemptSignIn(page, `nobody-${randomBytes(4).toString("hex")}@example.com`, user.password),
      await attemptSignIn(page, disabled.email, disabled.password),
    ];
    for (const attempt of attempts) {
      expect(attempt.message).toBe(GENERIC_FAILURE);
      expect(attempt.status).toBe(attempts[0]!.status);
      expect(attempt.body).toBe(attempts[0]!.body);
    }
    // Nothing on the page names the email or hints that the account exists.
    await expect(page.getByText(/not found|no such|disabled|unknown/i)).toHaveCount(0);
    await expect(page).toHaveURL((url) => url.pathname === "/login");
  });

  test("after 5 failures for one email the next attempt is visibly slowed, and the right password still works", async ({ open }) => {
    const user = await createTestUser("VIEWER");
    const page = await open();
    await page.goto("/login");
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
      // A new address for every attempt: this is the per-email limit, not the per-address one.
      await page.setExtraHTTPHeaders({ "x-forwarded-for": clientAddress() });
      const attempt = await attemptSignIn(page, user.email, `wrong-password-${i}`);
      expect(attempt.message).toBe(GENERIC_FAILURE);
      times.push(attempt.ms);
    }
    await page.setExtraHTTPHeaders({ "x-forwarded-for": clientAddress() });
    const slowed = await attemptSignIn(page, user.email, "wrong-password-5");
    expect(slowed.message).toBe(GENERIC_FAILURE);
    console.log(`sign-in for one email: failures 1-5 answered in ${times.join(", ")} ms; failure 6 in ${slowed.ms} ms`);
    expect(slowed.ms).toBeGreaterThan(Math.min(...times) + NOTICEABLE_MS);

    await page.setExtraHTTPHeaders({ "x-forwarded-for": clientAddress() });
    const correct = await attemptSignIn(page, user.email, user.password);
    console.log(`sign-in with the right password after 6 failures answered in ${correct.ms} ms`);
    expect(correct.status).toBe(200);
    await page.waitForURL((url) => url.pathname === "/");
    await expectHeading(page, "Overview");
  });

  test("failures from one address for different emails are slowed too, after the address's 20 free ones", async ({ open }) => {
    test.setTimeout(120_000);
    const user = await createTestUser("VIEWER");
    const page = await open();
    await page.goto("/login");
    const times: number[] = [];
    for (let i = 0; i < 20; i++) {
      const attempt = await attemptSignIn(page, `guess-${i}-${randomBytes(3).toString("hex")}@example.com`, "wrong-password");
      expect(attempt.message).toBe(GENERIC_FAILURE);
      times.push(attempt.ms);
    }
    const slowed = await attemptSignIn(page, user.email, user.password);
    console.log(`sign-in from one address: failures 1-20 answered in ${times.join(", ")} ms; the next (right) one in ${slowed.ms} ms`);
    expect(slowed.ms).toBeGreaterThan(Math.min(...times) + NOTICEABLE_MS);
    await page.waitForURL((url) => url.pathname === "/");
  });
});

test.describe("changes apply on the user's next request", () => {
  test("a user disabled by the OWNER is signed out on their next navigation and cannot sign in again", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    const victim = await createTestUser("ADMIN");
    const victimPage = await open(victim);
    await victimPage.goto("/keys");
    await expectHeading(victimPage, "Keys");

    const ownerPage = await open(owner);
    await ownerPage.goto("/users");
    await ownerPage.getByRole("button", { name: `Disable ${victim.email}` }).click();
    await ownerPage.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
    await expect(ownerPage.getByText(`${victim.email} disabled`)).toBeVisible();
    await expect(ownerPage.getByRole("row", { name: new RegExp(victim.email) }).getByText("disabled", { exact: true })).toBeVisible();
    expect((await e2eDb().user.findUniqueOrThrow({ where: { id: victim.id } })).disabledAt).not.toBeNull();

    // The victim's session cookie is still valid as a token: the database says no.
    await nav(victimPage).getByRole("link", { name: "Scopes" }).click();
    await victimPage.waitForURL((url) => url.pathname === "/login");
    const again = await attemptSignIn(victimPage, victim.email, victim.password);
    expect(again.message).toBe(GENERIC_FAILURE);
  });

  test("a password reset by the OWNER (or the CLI) ends the user's sessions on their next navigation", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    const user = await createTestUser("ADMIN");
    const page = await open(user);
    await page.goto("/keys");
    await expectHeading(page, "Keys");
    await resetPassword(e2eDb(), user.email, `reset-${randomBytes(9).toString("base64url")}`, { type: "user", id: owner.id, role: "OWNER" });
    await nav(page).getByRole("link", { name: "Scopes" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
  });

  test("a VIEWER promoted to ADMIN gets the mutation buttons on the next navigation, and loses them when demoted", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    const user = await createTestUser("VIEWER");
    const userPage = await open(user);
    await userPage.goto("/scopes");
    await expectHeading(userPage, "Scopes");
    await expect(userPage.getByRole("button", { name: "Add scope" })).toHaveCount(0);

    const ownerPage = await open(owner);
    await ownerPage.goto("/users");
    await ownerPage.getByRole("combobox", { name: `Role of ${user.email}` }).selectOption("ADMIN");
    await expect(ownerPage.getByText(`${user.email} is now admin`)).toBeVisible();

    await nav(userPage).getByRole("link", { name: "Keys" }).click();
    await expectHeading(userPage, "Keys");
    await expect(userPage.getByRole("link", { name: "New key" })).toBeVisible();
    await nav(userPage).getByRole("link", { name: "Scopes" }).click();
    await expect(userPage.getByRole("button", { name: "Add scope" })).toBeVisible();

    await ownerPage.getByRole("combobox", { name: `Role of ${user.email}` }).selectOption("VIEWER");
    await expect(ownerPage.getByText(`${user.email} is now viewer`)).toBeVisible();

    // The page still open from before the demotion offers the button; the server refuses.
    const name = `${unique("demoted")}:write`;
    await userPage.getByRole("button", { name: "Add scope" }).click();
    await userPage.getByRole("dialog").getByLabel("Name").fill(name);
    await userPage.getByRole("dialog").getByRole("button", { name: "Add scope" }).click();
    await expect(userPage.getByText("Viewers can read keys but not change them.")).toBeVisible();
    expect(await e2eDb().scope.count({ where: { name } })).toBe(0);
    await userPage.getByRole("dialog").getByRole("button", { name: "Cancel" }).click();

    await nav(userPage).getByRole("link", { name: "Keys" }).click();
    await expectHeading(userPage, "Keys");
    await expect(userPage.getByRole("link", { name: "New key" })).toHaveCount(0);
    await nav(userPage).getByRole("link", { name: "Scopes" }).click();
    await expectHeading(userPage, "Scopes");
    await expect(userPage.getByRole("button", { name: "Add scope" })).toHaveCount(0);
  });

  test("the sidebar follows a role change on the next navigation: the Users link and the role shown", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    const user = await createTestUser("ADMIN");
    const ownerActor = { type: "user" as const, id: owner.id, role: "OWNER" as const };
    const page = await open(user);
    await page.goto("/keys");
    const sidebar = page.getByRole("complementary");
    await expect(sidebar.getByText("admin", { exact: true })).toBeVisible();
    await expect(nav(page).getByRole("link", { name: "Users" })).toHaveCount(0);

    await changeRole(e2eDb(), user.id, "OWNER", ownerActor);
    await nav(page).getByRole("link", { name: "Scopes" }).click();
    await expectHeading(page, "Scopes");
    await expect(sidebar.getByText("owner", { exact: true })).toBeVisible();
    await nav(page).getByRole("link", { name: "Users" }).click();
    await expectHeading(page, "Users");

    await changeRole(e2eDb(), user.id, "VIEWER", ownerActor);
    await nav(page).getByRole("link", { name: "Keys" }).click();
    await expectHeading(page, "Keys");
    await expect(sidebar.getByText("viewer", { exact: true })).toBeVisible();
    await expect(nav(page).getByRole("link", { name: "Users" })).toHaveCount(0);
    await expect(page.getByRole("link", { name: "New key" })).toHaveCount(0);
  });
});

test.describe("users (OWNER only)", () => {
  test("the OWNER adds users with each role, changes a role and disables a user", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    const page = await open(owner);
    await nav(page).getByRole("link", { name: "Users" }).click();
    await expectHeading(page, "Users");

    const added: Record<string, { email: string; password: string }> = {};
    for (const role of ["VIEWER", "ADMIN", "OWNER"] as const) {
      const email = `${unique(`added-${role.toLowerCase()}`)}@example.com`;
      const password = `pw-${randomBytes(9).toString("base64url")}`;
      await page.getByRole("button", { name: "Add user" }).click();
      const dialog = page.getByRole("dialog");
      await dialog.getByLabel("Email").fill(email);
      await dialog.getByLabel("Name").fill(`Added ${role}`);
      await dialog.getByLabel("Role", { exact: true }).selectOption(role);
      await dialog.getByLabel("Initial password").fill(password);
      await dialog.getByRole("button", { name: "Add user" }).click();
      await expect(page.getByText(`User ${email} created`)).toBeVisible();
      await expect(page.getByRole("combobox", { name: `Role of ${email}` })).toHaveValue(role);
      const row = await e2eDb().user.findUniqueOrThrow({ where: { email } });
      expect(row).toMatchObject({ role, name: `Added ${role}`, disabledAt: null });
      added[role] = { email, password };
    }

    // The same email again: refused with a message that says why.
    await page.getByRole("button", { name: "Add user" }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByLabel("Email").fill(added.VIEWER!.email.toUpperCase());
    await dialog.getByLabel("Name").fill("Twice");
    await dialog.getByLabel("Initial password").fill("another-password-123");
    await dialog.getByRole("button", { name: "Add user" }).click();
    await expect(page.getByText(`A user with the email ${added.VIEWER!.email} exists already.`)).toBeVisible();
    await dialog.getByRole("button", { name: "Cancel" }).click();
    expect(await e2eDb().user.count({ where: { email: added.VIEWER!.email } })).toBe(1);

    await page.getByRole("combobox", { name: `Role of ${added.VIEWER!.email}` }).selectOption("ADMIN");
    await expect(page.getByText(`${added.VIEWER!.email} is now admin`)).toBeVisible();
    expect((await e2eDb().user.findUniqueOrThrow({ where: { email: added.VIEWER!.email } })).role).toBe("ADMIN");

    await page.getByRole("button", { name: `Disable ${added.ADMIN!.email}` }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
    await expect(page.getByText(`${added.ADMIN!.email} disabled`)).toBeVisible();
    const adminRow = page.getByRole("row", { name: new RegExp(added.ADMIN!.email) });
    await expect(adminRow.getByText("disabled", { exact: true })).toBeVisible();
    await expect(adminRow.getByRole("combobox")).toHaveCount(0);
    expect((await e2eDb().user.findUniqueOrThrow({ where: { email: added.ADMIN!.email } })).disabledAt).not.toBeNull();

    const audit = await e2eDb().auditLog.findMany({ where: { actorId: owner.id }, select: { action: true } });
    expect(audit.map((entry) => entry.action).sort()).toEqual(["user.create", "user.create", "user.create", "user.disable", "user.role_change"]);

    // The users added here can sign in with the password the OWNER gave them, except the disabled one.
    const promoted = await open({ email: added.VIEWER!.email, password: added.VIEWER!.password });
    await expect(promoted.getByText("admin", { exact: true })).toBeVisible();
    const newOwner = await open({ email: added.OWNER!.email, password: added.OWNER!.password });
    await expect(nav(newOwner).getByRole("link", { name: "Users" })).toBeVisible();
    const disabledPage = await open();
    await disabledPage.goto("/login");
    expect((await attemptSignIn(disabledPage, added.ADMIN!.email, added.ADMIN!.password)).message).toBe(GENERIC_FAILURE);
  });

  test("the last active OWNER cannot step down or be disabled; with another OWNER they can hand over or leave", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    // The e2e database is shared by every test, and earlier ones left OWNERs behind: they are
    // set aside for this test so that `owner` really is the last active one.
    const others = await e2eDb().user.findMany({ where: { role: "OWNER", disabledAt: null, NOT: { id: owner.id } }, select: { id: true } });
    const otherIds = others.map((other) => other.id);
    await e2eDb().user.updateMany({ where: { id: { in: otherIds } }, data: { disabledAt: new Date() } });
    const page = await open(owner);
    try {
      await page.goto("/users");
      const ownRole = page.getByRole("combobox", { name: `Your role (${owner.email})` });
      await ownRole.selectOption("ADMIN");
      await expect(page.getByRole("dialog")).toContainText("You will no longer manage users.");
      await page.getByRole("dialog").getByRole("button", { name: "Step down" }).click();
      await expect(page.getByText(`${owner.email} is the last active OWNER and cannot be given another role`)).toBeVisible();
      await expect(ownRole).toHaveValue("OWNER");

      await page.getByRole("button", { name: `Disable ${owner.email}` }).click();
      await expect(page.getByRole("dialog")).toContainText("Disable your own account?");
      await page.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
      await expect(page.getByText(`${owner.email} is the last active OWNER and cannot be disabled`)).toBeVisible();

      const row = await e2eDb().user.findUniqueOrThrow({ where: { id: owner.id } });
      expect(row).toMatchObject({ role: "OWNER", disabledAt: null });
    } finally {
      await e2eDb().user.updateMany({ where: { id: { in: otherIds } }, data: { disabledAt: null } });
    }

    // Handing over: make someone else OWNER, then step down.
    const successor = await createTestUser("ADMIN");
    await page.reload();
    await page.getByRole("combobox", { name: `Role of ${successor.email}` }).selectOption("OWNER");
    await expect(page.getByText(`${successor.email} is now owner`)).toBeVisible();
    await page.getByRole("combobox", { name: `Your role (${owner.email})` }).selectOption("ADMIN");
    await page.getByRole("dialog").getByRole("button", { name: "Step down" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await expect(nav(page).getByRole("link", { name: "Users" })).toHaveCount(0);
    expect((await e2eDb().user.findUniqueOrThrow({ where: { id: owner.id } })).role).toBe("ADMIN");

    // An OWNER who is not the last one may also leave altogether, and is signed out at once.
    const successorPage = await open(successor);
    await successorPage.goto("/users");
    await successorPage.getByRole("button", { name: `Disable ${successor.email}` }).click();
    await expect(successorPage.getByRole("dialog")).toContainText("Disable your own account?");
    await successorPage.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
    await successorPage.waitForURL((url) => url.pathname === "/login");
    expect((await e2eDb().user.findUniqueOrThrow({ where: { id: successor.id } })).disabledAt).not.toBeNull();
  });

  test("ADMINs and VIEWERs get a 404 on /users and no Users link", async ({ open }) => {
    const owner = await createTestUser("OWNER");
    for (const role of ["ADMIN", "VIEWER"] as const) {
      const page = await open(await createTestUser(role));
      await expect(nav(page).getByRole("link", { name: "Keys" })).toBeVisible();
      await expect(nav(page).getByRole("link", { name: "Users" })).toHaveCount(0);
      const response = await page.goto("/users");
      expect(response?.status()).toBe(404);
      await expect(page.getByRole("heading", { level: 1, name: "Not found" })).toBeVisible();
      await expect(page.getByRole("button", { name: "Add user" })).toHaveCount(0);
      await expect(page.getByRole("table")).toHaveCount(0);
      expect(await page.content()).not.toContain(owner.email);
    }
    const ownerPage = await open(owner);
    await nav(ownerPage).getByRole("link", { name: "Users" }).click();
    await expectHeading(ownerPage, "Users");
    await expect(ownerPage.getByText(owner.email).first()).toBeVisible();
  });
});

test.describe("own password", () => {
  for (const role of ["OWNER", "ADMIN", "VIEWER"] as const) {
    test(`${role}: changes their own password on /account; the old one stops working and every session ends`, async ({ open }) => {
      const user = await createTestUser(role);
      const page = await open(user);
      // The same person signed in elsewhere (another browser): signed out by the change too.
      const elsewhere = await open(user);
      await elsewhere.goto("/keys");
      await expectHeading(elsewhere, "Keys");
      await nav(page).getByRole("link", { name: "Account" }).click();
      await expectHeading(page, "Account");
      const before = (await e2eDb().user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash;
      const next = `new-${randomBytes(9).toString("base64url")}`;

      async function submit(current: string, password: string, confirm = password) {
        await page.getByLabel("Current password").fill(current);
        await page.getByLabel("New password", { exact: true }).fill(password);
        await page.getByLabel("Repeat the new password").fill(confirm);
        await page.getByRole("button", { name: "Change password" }).click();
      }

      await submit(`${user.password}-wrong`, next);
      await expect(page.getByText("The current password is not correct.").first()).toBeVisible();
      await submit(user.password, next, `${next}-typo`);
      await expect(page.getByText("Does not match the new password.")).toBeVisible();
      expect((await e2eDb().user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).toBe(before);

      await submit(user.password, next);
      await page.waitForURL((url) => url.pathname === "/login");
      await expect(page.getByText("Password changed. You are signed out everywhere: sign in with the new one.")).toBeVisible();
      expect((await e2eDb().user.findUniqueOrThrow({ where: { id: user.id } })).passwordHash).not.toBe(before);
      await nav(elsewhere).getByRole("link", { name: "Scopes" }).click();
      await elsewhere.waitForURL((url) => url.pathname === "/login");

      expect((await attemptSignIn(page, user.email, user.password)).message).toBe(GENERIC_FAILURE);
      await attemptSignIn(page, user.email, next);
      await page.waitForURL((url) => url.pathname === "/");
      await expectHeading(page, "Overview");
    });
  }
});

interface CapturedAction {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string;
}

/**
 * Records the server-action request that `trigger` makes in the browser and stops it before it
 * reaches the server: a replay is then the first time the server sees it, so a refusal cannot
 * be explained by the thing having happened already.
 */
async function captureAction(page: Page, name: string, trigger: () => Promise<void>): Promise<CapturedAction> {
  let captured: CapturedAction | undefined;
  await page.route("**/*", async (route) => {
    const request = route.request();
    const headers = await request.allHeaders();
    if (request.method() !== "POST" || !headers["next-action"]) return route.continue();
    captured = { name, url: request.url(), headers, body: request.postData() ?? "" };
    await route.abort();
  });
  await trigger();
  await expect.poll(() => captured !== undefined, { message: `${name} was never sent` }).toBe(true);
  await page.unrouteAll({ behavior: "ignoreErrors" });
  return captured!;
}

/** Sends a captured action again from another page's session (its cookies, not the capturer's). */
async function replay(page: Page, action: CapturedAction): Promise<{ status: number; text: string }> {
  // Only what the browser sends to call an action; the capturer's cookie stays behind.
  const keep = ["next-action", "next-router-state-tree", "content-type", "accept", "origin"];
  const headers = Object.fromEntries(Object.entries(action.headers).filter(([name]) => keep.includes(name)));
  const response = await page.request.post(action.url, { headers, data: action.body, maxRedirects: 0 });
  return { status: response.status(), text: await response.text() };
}

/** The value the action returned, out of the RSC stream's `row:json` lines. */
function actionResult(text: string): { ok?: boolean; error?: string } | undefined {
  for (const line of text.split("\n")) {
    const json = line.slice(line.indexOf(":") + 1);
    if (!json.startsWith("{")) continue;
    const value = JSON.parse(json) as Record<string, unknown>;
    if (typeof value.ok === "boolean") return value as { ok: boolean; error?: string };
  }
  return undefined;
}

function expectRefused(result: { status: number; text: string }, message: string) {
  expect(result.status).toBe(200);
  expect(actionResult(result.text), result.text).toMatchObject({ ok: false, error: message });
}

function expectAccepted(result: { status: number; text: string }) {
  expect(result.status).toBe(200);
  expect(actionResult(result.text), result.text).toMatchObject({ ok: true });
}

test.describe("VIEWER", () => {
  test("sees no mutation control on any page, and /keys/new sends them back to /keys", async ({ open }) => {
    const { record } = await issueKey(e2eDb(), { name: unique("viewer-sees"), scopes: [] }, system);
    const scope = await createScope(e2eDb(), { name: `${unique("viewer")}:read`, description: "for the viewer test" }, system);
    const pages: [string, string][] = [
      ["/", "Overview"],
      ["/keys", "Keys"],
      [`/keys/${record.id}`, record.name],
      ["/scopes", "Scopes"],
      ["/usage", "Usage"],
      ["/audit", "Audit log"],
      ["/account", "Account"],
    ];

    // The same pages as an ADMIN show the controls: the locator below finds what it should.
    const admin = await open(await createTestUser("ADMIN"));
    await admin.goto(`/keys/${record.id}`);
    await expectHeading(admin, record.name);
    await expect(mutationControls(admin)).toHaveCount(3);
    await admin.goto("/scopes");
    await expect(admin.getByRole("button", { name: `Edit ${scope.name}` })).toBeVisible();
    await expect(admin.getByRole("button", { name: "Add scope" })).toBeVisible();
    await admin.goto("/keys");
    await expect(admin.getByRole("link", { name: "New key" })).toBeVisible();
    const owner = await open(await createTestUser("OWNER"));
    await owner.goto("/users");
    await expect(owner.getByRole("button", { name: "Add user" })).toBeVisible();
    await expect(owner.getByRole("combobox", { name: /^Role of / }).first()).toBeVisible();
    await expect(owner.getByRole("button", { name: /^Disable / }).first()).toBeVisible();

    const viewer = await open(await createTestUser("VIEWER"));
    for (const [pathname, title] of pages) {
      await viewer.goto(pathname);
      await expectHeading(viewer, title);
      await expect(mutationControls(viewer), pathname).toHaveCount(0);
    }
    await viewer.goto("/keys/new");
    await expect(viewer).toHaveURL((url) => url.pathname === "/keys");
    await expectHeading(viewer, "Keys");
    await expect(mutationControls(viewer)).toHaveCount(0);
  });

  test("every server action called directly as a VIEWER is refused and changes nothing", async ({ open }) => {
    test.setTimeout(180_000);
    const db = e2eDb();
    const adminUser = await createTestUser("ADMIN");
    const ownerUser = await createTestUser("OWNER");
    const viewerUser = await createTestUser("VIEWER");
    const roleTarget = await createTestUser("VIEWER");
    const disableTarget = await createTestUser("ADMIN");
    const toUpdate = (await issueKey(db, { name: unique("replay-update"), scopes: [] }, system)).record;
    const toRotate = (await issueKey(db, { name: unique("replay-rotate"), scopes: [] }, system)).record;
    const toRevoke = (await issueKey(db, { name: unique("replay-revoke"), scopes: [] }, system)).record;
    const scope = await createScope(db, { name: `${unique("replay")}:read`, description: "before" }, system);
    const names = {
      key: unique("replay-created"),
      renamed: unique("replay-renamed"),
      scope: `${unique("replay")}:write`,
      user: `${unique("replay-user")}@example.com`,
      adminPassword: `new-${randomBytes(9).toString("base64url")}`,
    };

    const admin = await open(adminUser);
    const owner = await open(ownerUser);
    const viewer = await open(viewerUser);

    const actions: CapturedAction[] = [];
    actions.push(
      await captureAction(admin, "createKeyAction", async () => {
        await admin.goto("/keys/new");
        await admin.getByLabel("Name").fill(names.key);
        await admin.getByRole("button", { name: "Create key" }).click();
      }),
      await captureAction(admin, "updateKeyAction", async () => {
        await admin.goto(`/keys/${toUpdate.id}`);
        await admin.getByRole("button", { name: "Edit", exact: true }).click();
        await admin.getByRole("dialog").getByLabel("Name").fill(names.renamed);
        await admin.getByRole("dialog").getByRole("button", { name: "Save" }).click();
      }),
      await captureAction(admin, "rotateKeyAction", async () => {
        await admin.goto(`/keys/${toRotate.id}`);
        await admin.getByRole("button", { name: "Rotate", exact: true }).click();
        await admin.getByRole("dialog").getByRole("button", { name: "Rotate key" }).click();
      }),
      await captureAction(admin, "revokeKeyAction", async () => {
        await admin.goto(`/keys/${toRevoke.id}`);
        await admin.getByRole("button", { name: "Revoke", exact: true }).click();
        await admin
          .getByRole("dialog")
          .getByLabel(/Type the key's name/)
          .fill(toRevoke.name);
        await admin.getByRole("dialog").getByLabel("Reason (optional)").fill("replayed by a viewer");
        await admin.getByRole("dialog").getByRole("button", { name: "Revoke key" }).click();
      }),
      await captureAction(admin, "createScopeAction", async () => {
        await admin.goto("/scopes");
        await admin.getByRole("button", { name: "Add scope" }).click();
        await admin.getByRole("dialog").getByLabel("Name").fill(names.scope);
        await admin.getByRole("dialog").getByRole("button", { name: "Add scope" }).click();
      }),
      await captureAction(admin, "updateScopeAction", async () => {
        await admin.goto("/scopes");
        await admin.getByRole("button", { name: `Edit ${scope.name}` }).click();
        await admin.getByRole("dialog").getByLabel("Description").fill("after");
        await admin.getByRole("dialog").getByRole("button", { name: "Save" }).click();
      }),
      await captureAction(owner, "createUserAction", async () => {
        await owner.goto("/users");
        await owner.getByRole("button", { name: "Add user" }).click();
        const dialog = owner.getByRole("dialog");
        await dialog.getByLabel("Email").fill(names.user);
        await dialog.getByLabel("Name").fill("Replayed");
        await dialog.getByLabel("Role", { exact: true }).selectOption("OWNER");
        await dialog.getByLabel("Initial password").fill("replayed-password-123");
        await dialog.getByRole("button", { name: "Add user" }).click();
      }),
      await captureAction(owner, "changeRoleAction", async () => {
        await owner.goto("/users");
        await owner.getByRole("combobox", { name: `Role of ${roleTarget.email}` }).selectOption("OWNER");
      }),
      await captureAction(owner, "disableUserAction", async () => {
        await owner.goto("/users");
        await owner.getByRole("button", { name: `Disable ${disableTarget.email}` }).click();
        await owner.getByRole("dialog").getByRole("button", { name: "Disable user" }).click();
      }),
      await captureAction(admin, "changeOwnPasswordAction", async () => {
        await admin.goto("/account");
        await admin.getByLabel("Current password").fill(adminUser.password);
        await admin.getByLabel("New password", { exact: true }).fill(names.adminPassword);
        await admin.getByLabel("Repeat the new password").fill(names.adminPassword);
        await admin.getByRole("button", { name: "Change password" }).click();
      }),
    );
    const [first] = actions;
    console.log(
      `a captured server action: POST ${new URL(first!.url).pathname}, next-action: ${first!.headers["next-action"]}, ` +
        `content-type: ${first!.headers["content-type"]}, body: ${first!.body}`,
    );
    expect(new Set(actions.map((action) => action.headers["next-action"])).size).toBe(actions.length);

    const keyRow = (id: string) => db.apiKey.findUniqueOrThrow({ where: { id } });
    const userRow = (id: string) => db.user.findUniqueOrThrow({ where: { id } });
    const snapshot = async () => ({
      keys: await db.apiKey.findMany({ where: { id: { in: [toUpdate.id, toRotate.id, toRevoke.id] } }, orderBy: { id: "asc" } }),
      successors: await db.apiKey.count({ where: { rotatedFromId: toRotate.id } }),
      created: await db.apiKey.count({ where: { name: names.key } }),
      scopes: await db.scope.findMany({ where: { name: { in: [scope.name, names.scope] } }, orderBy: { name: "asc" } }),
      users: await db.user.findMany({ where: { id: { in: [adminUser.id, viewerUser.id, roleTarget.id, disableTarget.id] } }, orderBy: { id: "asc" } }),
      newUser: await db.user.count({ where: { email: names.user } }),
      audit: await db.auditLog.count(),
    });
    const before = await snapshot();

    const keyRefusal = "Viewers can read keys but not change them.";
    const userRefusal = "Only an OWNER can manage users.";
    const refusals: Record<string, string> = {
      createKeyAction: keyRefusal,
      updateKeyAction: keyRefusal,
      rotateKeyAction: keyRefusal,
      revokeKeyAction: keyRefusal,
      createScopeAction: keyRefusal,
      updateScopeAction: keyRefusal,
      createUserAction: userRefusal,
      changeRoleAction: userRefusal,
      disableUserAction: userRefusal,
      // Only ever about the caller's own password: the ADMIN's current password is not the VIEWER's.
      changeOwnPasswordAction: "The current password is not correct.",
    };
    for (const [index, action] of actions.entries()) {
      const result = await replay(viewer, action);
      if (index === 0) console.log(`the VIEWER's replay of ${action.name} was answered: ${result.text.trim()}`);
      expectRefused(result, refusals[action.name]!);
    }
    // Signed out altogether: refused before any rule is even looked at.
    const anonymous = await open();
    for (const action of actions) expectRefused(await replay(anonymous, action), "Your session has ended. Sign in again.");
    expect(await snapshot()).toEqual(before);

    // The same requests from the people who made them do work: the refusals above were the role's.
    for (const action of actions) {
      const from = ["createUserAction", "changeRoleAction", "disableUserAction"].includes(action.name) ? owner : admin;
      expectAccepted(await replay(from, action));
    }
    expect(await db.apiKey.count({ where: { name: names.key } })).toBe(1);
    expect((await keyRow(toUpdate.id)).name).toBe(names.renamed);
    expect(await db.apiKey.count({ where: { rotatedFromId: toRotate.id } })).toBe(1);
    expect((await keyRow(toRevoke.id)).revokedAt).not.toBeNull();
    expect(await db.scope.count({ where: { name: names.scope } })).toBe(1);
    expect((await db.scope.findUniqueOrThrow({ where: { id: scope.id } })).description).toBe("after");
    expect(await db.user.count({ where: { email: names.user, role: "OWNER" } })).toBe(1);
    expect((await userRow(roleTarget.id)).role).toBe("OWNER");
    expect((await userRow(disableTarget.id)).disabledAt).not.toBeNull();
    expect((await userRow(adminUser.id)).passwordHash).not.toBe(before.users.find((user) => user.id === adminUser.id)!.passwordHash);
    expect((await userRow(viewerUser.id)).passwordHash).toBe(before.users.find((user) => user.id === viewerUser.id)!.passwordHash);
    expect(await db.auditLog.count({ where: { actorId: viewerUser.id } })).toBe(0);
  });

  test("the first-run setup action is refused once users exist, whoever calls it", async ({ open }) => {
    // The setup page is gone once a user exists, so its action cannot be captured in a browser:
    // its id comes from the build's manifest, and the request is made the way every action is.
    const manifest = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../.next/server/server-reference-manifest.json"), "utf8")) as {
      node: Record<string, { exportedName?: string; filename?: string }>;
    };
    const id = Object.entries(manifest.node).find(([, entry]) => entry.exportedName === "setupOwnerAction")?.[0];
    expect(id).toBeTruthy();
    const email = `${unique("setup-replay")}@example.com`;
    const body = JSON.stringify([{ token: "guessed", email, name: "Intruder", password: "intruder-password-1", confirm: "intruder-password-1" }]);
    const viewer = await open(await createTestUser("VIEWER"));
    const anonymous = await open();
    for (const page of [viewer, anonymous]) {
      const result = await replay(page, {
        name: "setupOwnerAction",
        url: "/setup",
        headers: { "next-action": id!, "content-type": "text/plain;charset=UTF-8", accept: "text/x-component" },
        body,
      });
      expectRefused(result, "Setup is complete already. Sign in instead.");
    }
    expect(await e2eDb().user.count({ where: { email } })).toBe(0);
  });

  test("the management HTTP API does not accept a dashboard session instead of a key", async ({ open }) => {
    for (const role of ["VIEWER", "OWNER"] as const) {
      const page = await open(await createTestUser(role));
      const name = unique(`api-with-cookie-${role.toLowerCase()}`);
      const list = await page.request.get("/api/v1/keys");
      const create = await page.request.post("/api/v1/keys", { data: { name } });
      const scopes = await page.request.post("/api/v1/scopes", { data: { name: `${unique("cookie")}:read` } });
      for (const response of [list, create, scopes]) {
        expect(response.status(), role).toBe(401);
        expect((await response.json()).error.code).toBe("missing_key");
        expect(response.headers()["www-authenticate"]).toMatch(/^Bearer/);
      }
      expect(await e2eDb().apiKey.count({ where: { name } })).toBe(0);
    }
  });
});
