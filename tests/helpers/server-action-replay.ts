import { expect, type Page } from "@playwright/test";

// Server actions are public POST endpoints: to prove the server (not the page) refuses one, a
// test captures the request a permitted user's browser would send, and sends it again from
// another session.

export interface CapturedAction {
  url: string;
  headers: Record<string, string>;
  body: string;
}

/** The next server-action request `trigger` makes on `page`, caught before it reaches the server. */
export async function captureAction(page: Page, trigger: () => Promise<void>): Promise<CapturedAction> {
  let captured: CapturedAction | undefined;
  await page.route("**/*", async (route) => {
    const request = route.request();
    const headers = await request.allHeaders();
    if (request.method() !== "POST" || !headers["next-action"]) return route.continue();
    captured = { url: request.url(), headers, body: request.postData() ?? "" };
    await route.abort();
  });
  await trigger();
  await expect.poll(() => captured !== undefined, { message: "the action was never sent" }).toBe(true);
  await page.unrouteAll({ behavior: "ignoreErrors" });
  return captured!;
}

/** The action's result (`{ok, error?}`) when sent from `page`'s session. */
export async function replayAction(page: Page, action: CapturedAction): Promise<{ ok?: boolean; error?: string } | undefined> {
  const keep = ["next-action", "next-router-state-tree", "content-type", "accept", "origin"];
  const headers = Object.fromEntries(Object.entries(action.headers).filter(([name]) => keep.includes(name)));
  const response = await page.request.post(action.url, { headers, data: action.body, maxRedirects: 0 });
  for (const line of (await response.text()).split("\n")) {
    const json = line.slice(line.indexOf(":") + 1);
    if (!json.startsWith("{")) continue;
    const value = JSON.parse(json) as Record<string, unknown>;
    if (typeof value.ok === "boolean") return value as { ok: boolean; error?: string };
  }
  return undefined;
}
