// The traffic bench:memory sends: verifications over the HTTP API, and a signed-in OWNER paging
// through every key and opening every dashboard page, as a browser would request them.

const DASHBOARD_PAGES = ["/", "/keys", "/keys/new", "/scopes", "/usage", "/audit", "/users", "/account"];

async function expectOk(response: Response, what: string): Promise<string> {
  const body = await response.text();
  if (response.status !== 200) throw new Error(`${what}: HTTP ${response.status} ${body.slice(0, 200)}`);
  return body;
}

/** `count` verifications through POST /api/v1/keys/verify, `concurrency` at a time, cycling through `keys`. */
export async function verifyMany(base: string, rootKey: string, keys: string[], count: number, concurrency = 8): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const key = keys[next++ % keys.length];
      const response = await fetch(`${base}/api/v1/keys/verify`, {
        method: "POST",
        headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
        body: JSON.stringify({ key }),
      });
      const body = JSON.parse(await expectOk(response, "verify")) as { valid: boolean };
      if (!body.valid) throw new Error(`verify: a seeded key was refused: ${JSON.stringify(body)}`);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
}

/** Every key through GET /api/v1/keys, 100 a page; answers how many. */
export async function pageApiKeys(base: string, rootKey: string): Promise<number> {
  let cursor: string | null = null;
  let seen = 0;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const response = await fetch(`${base}/api/v1/keys?limit=100${query}`, { headers: { authorization: `Bearer ${rootKey}` } });
    const page = JSON.parse(await expectOk(response, "list keys")) as { data: { id: string }[]; nextCursor: string | null };
    seen += page.data.length;
    cursor = page.nextCursor;
  } while (cursor);
  return seen;
}

/** Signs in through next-auth's credentials endpoint, as the login form does; answers the Cookie header. */
export async function signIn(base: string, owner: { email: string; password: string }): Promise<string> {
  const csrf = await fetch(`${base}/api/auth/csrf`);
  const { csrfToken } = JSON.parse(await expectOk(csrf, "csrf")) as { csrfToken: string };
  const jar = new Map<string, string>();
  const keep = (response: Response) => {
    for (const cookie of response.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const at = pair.indexOf("=");
      jar.set(pair.slice(0, at), pair.slice(at + 1));
    }
  };
  keep(csrf);
  const cookieHeader = () => [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  const form = new URLSearchParams({ csrfToken, email: owner.email, password: owner.password, callbackUrl: base, json: "true" });
  const response = await fetch(`${base}/api/auth/callback/credentials`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: cookieHeader() },
    body: form,
    redirect: "manual",
  });
  keep(response);
  if (![...jar.keys()].some((name) => name.endsWith("next-auth.session-token"))) throw new Error(`sign-in failed: HTTP ${response.status}`);
  return cookieHeader();
}

async function page(base: string, path: string, cookie: string): Promise<string> {
  return expectOk(await fetch(`${base}${path}`, { headers: { cookie }, redirect: "manual" }), `GET ${path}`);
}

/** Opens every dashboard page and one key's page; answers how many pages were rendered. */
export async function openDashboard(base: string, cookie: string, keyId: string): Promise<number> {
  for (const path of [...DASHBOARD_PAGES, `/keys/${keyId}`]) await page(base, path, cookie);
  return DASHBOARD_PAGES.length + 1;
}

/** Follows the keys page's "Next page" link to the end; answers how many pages were rendered. */
export async function pageDashboardKeys(base: string, cookie: string): Promise<number> {
  let path: string | null = "/keys";
  let pages = 0;
  while (path) {
    const html = await page(base, path, cookie);
    pages += 1;
    const next = /href="(\/keys\?[^"]*cursor=[^"]+)"[^>]*>Next page</.exec(html);
    path = next ? next[1].replaceAll("&amp;", "&") : null;
  }
  return pages;
}
