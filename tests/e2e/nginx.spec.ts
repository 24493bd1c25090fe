import { existsSync } from "node:fs";
import http from "node:http";

import { expect, test } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { Harness, ready, sleep, system, usageCounts, whoami, type Instance } from "../helpers/instance-harness";
import { NGINX_BINARY, startNginx } from "../helpers/nginx";

// Two instances on one PostgreSQL behind Debian's nginx, configured by deploy/nginx/keyhold.conf
// (docs/deploy.md): the production shape of issue 6, run on loopback.
test.describe.configure({ mode: "serial" });

const METRICS_TOKEN = "nginx-e2e-metrics-token-0123456789";
const SPOOFED = "203.0.113.9";
// Three loopback addresses stand for three hosts: nginx reaches the instances from its own
// address, the only one they trust; a client reaches nginx from another; an attacker reaches an
// instance directly from a third. (A client sharing nginx's address would be trusted like it.)
const NGINX_ADDRESS = "127.0.0.2";
const CLIENT_ADDRESS = "127.0.0.3";
const ATTACKER_ADDRESS = "127.0.0.1";

test.beforeAll(() => {
  if (!existsSync(NGINX_BINARY)) throw new Error(`${NGINX_BINARY} is missing: apt-get install nginx (.ci/run does)`);
});

async function api(base: string, rootKey: string, path: string, body: unknown) {
  const response = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${rootKey}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as { id: string; key: string } };
}

/** GET /api/v1/whoami from `localAddress` with a forged X-Forwarded-For; the answer's status. */
function spoofedWhoami(base: string, localAddress: string, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = http.get(`${base}/api/v1/whoami`, { localAddress, headers: { "x-api-key": key, "x-forwarded-for": SPOOFED } }, (response) => {
      response.resume();
      response.once("end", () => resolve(response.statusCode ?? 0));
    });
    request.once("error", reject);
  });
}

/** Valid verifications this instance has answered since it started, from its own /api/metrics. */
async function validVerifications(instance: Instance): Promise<number> {
  const response = await fetch(`${instance.base}/api/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(response.status).toBe(200);
  const match = /^keyhold_verifications_total\{[^}]*outcome="valid"[^}]*\} (\d+)$/m.exec(await response.text());
  return match ? Number(match[1]) : 0;
}

test("two instances behind nginx: keys, revocations and usage cross instances, and a SIGTERM loses nothing", async () => {
  test.setTimeout(240_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const env = { KEYHOLD_TRUSTED_PROXIES: NGINX_ADDRESS, KEYHOLD_METRICS_TOKEN: METRICS_TOKEN };
    const a = harness.launch(3161, database.url, env);
    const b = harness.launch(3162, database.url, env);
    await ready(a, b);
    const nginx = await startNginx(3160, [3161, 3162], { upstreamFrom: NGINX_ADDRESS });
    harness.defer(() => nginx.stop());
    const root = await issueKey(database.db, { name: "nginx root", scopes: ["keys:write"] }, system);

    // A key issued through one instance works through the other and through nginx.
    const issued = await api(a.base, root.key, "/api/v1/keys", { name: "issued through A" });
    expect(issued.status).toBe(201);
    expect((await whoami(b.base, issued.body.key)).status).toBe(200);
    expect((await whoami(nginx.base, issued.body.key)).status).toBe(200);

    // A forged X-Forwarded-For changes no client address. Through nginx, the instance trusts
    // only the entry nginx appended: the address the client really connected from. Sent to an
    // instance directly, the header is ignored: the sender is not a trusted proxy.
    const client = await issueKey(database.db, { name: "client behind nginx" }, system);
    expect(await spoofedWhoami(nginx.base, CLIENT_ADDRESS, client.key)).toBe(200);
    const attacker = await issueKey(database.db, { name: "attacker at an instance" }, system);
    expect(await spoofedWhoami(a.base, ATTACKER_ADDRESS, attacker.key)).toBe(200);
    const addressesOf = (keyId: string) => database.sql("SELECT ip FROM usage_events WHERE key_id = $1", [keyId]);
    await expect.poll(() => addressesOf(client.record.id), { timeout: 10_000 }).toEqual([{ ip: CLIENT_ADDRESS }]);
    await expect.poll(() => addressesOf(attacker.record.id), { timeout: 10_000 }).toEqual([{ ip: ATTACKER_ADDRESS }]);

    // A revoke through A is refused through B within a second, B having the key in its cache.
    await sleep(1_000);
    expect((await whoami(b.base, issued.body.key)).status).toBe(200);
    const revokedAt = performance.now();
    expect((await api(a.base, root.key, `/api/v1/keys/${issued.body.id}/revoke`, { reason: "leaked" })).status).toBe(200);
    let seenAfter = Infinity;
    while (performance.now() - revokedAt < 5_000) {
      const answer = await whoami(b.base, issued.body.key);
      if (answer.code === "revoked_key") {
        seenAfter = performance.now() - revokedAt;
        break;
      }
      expect(answer.status).toBe(200);
      await sleep(25);
    }
    console.log(`revoked through A, refused through B after ${seenAfter.toFixed(0)} ms`);
    expect(seenAfter).toBeLessThan(1_000);

    // Load through nginx; A gets SIGTERM halfway. Every request is answered 200 (nginx moves to B)
    // and every answered request is a stored usage event.
    const loaded = await api(nginx.base, root.key, "/api/v1/keys", { name: "load through nginx" });
    expect(loaded.status).toBe(201);
    const statuses = new Map<number, number>();
    let ok = 0;
    let failed = 0;
    let stopping = false;
    const loop = async () => {
      while (!stopping) {
        try {
          const response = await fetch(`${nginx.base}/api/v1/whoami`, { headers: { "x-api-key": loaded.body.key } });
          await response.arrayBuffer();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
          if (response.status === 200) ok++;
        } catch {
          failed++;
        }
      }
    };
    const loops = Array.from({ length: 20 }, loop);
    const deadline = Date.now() + 60_000;
    while (ok < 300 && Date.now() < deadline) await sleep(10);
    const servedByA = await validVerifications(a);
    const answeredAtSignal = ok;
    a.run.child.kill("SIGTERM");
    const exitCode = await a.run.exited;
    const answeredWhileStopping = ok - answeredAtSignal;
    const afterExit = ok;
    await sleep(2_000);
    stopping = true;
    await Promise.all(loops);
    const servedByB = await validVerifications(b);

    await expect.poll(async () => (await usageCounts(database.sql, loaded.body.id)).ok, { timeout: 10_000, intervals: [250] }).toBeGreaterThanOrEqual(ok);
    const stored = await usageCounts(database.sql, loaded.body.id);
    console.log(
      `nginx load: ${ok} answered (${answeredAtSignal} before SIGTERM to A, ${answeredWhileStopping} while A stopped, ` +
        `${ok - afterExit} after A exited), statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${failed} failed; ` +
        `A served ${servedByA} valid verifications before the signal, B ${servedByB} in all; ${stored.ok} events stored`,
    );
    expect(exitCode, a.run.output()).toBe(0);
    expect([...statuses.keys()], nginx.errors()).toEqual([200]);
    expect(failed).toBe(0);
    expect(servedByA).toBeGreaterThan(0);
    expect(servedByB).toBeGreaterThan(0);
    expect(ok - afterExit).toBeGreaterThan(0);
    expect(stored.ok).toBe(ok);
    expect(stored.rolled).toBe(stored.events);
  } finally {
    await harness.close();
  }
});
