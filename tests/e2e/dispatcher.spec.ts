import http from "node:http";
import { gunzipSync, inflateSync } from "node:zlib";

import { expect, test } from "@playwright/test";

import { issueKey } from "../../lib/keys/service";
import { Harness, ready, system, type Instance } from "../helpers/instance-harness";

// DESIGN.md section 15.1a: Keyhold's server answers the HTTP API straight from the route
// handlers, and the answers are the ones Next gives. Two instances on one database, one with the
// dispatcher (the default) and one with KEYHOLD_API_DISPATCH=0, get the same requests; status,
// headers (but Date and X-Request-Id) and body must match. Ids, keys and times that each
// instance makes up for itself are replaced by placeholders first.

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

function send(base: string, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<Answer> {
  const url = new URL(path, base);
  return new Promise((resolve, reject) => {
    // node:http rather than fetch: fetch would decompress, refuse some methods and add headers.
    const request = http.request({ host: url.hostname, port: url.port, method, path, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        const raw = Buffer.concat(chunks);
        const encoding = response.headers["content-encoding"];
        const answerHeaders: Record<string, string> = {};
        for (let i = 0; i < response.rawHeaders.length; i += 2) {
          const name = response.rawHeaders[i]!.toLowerCase();
          if (name !== "date" && name !== "x-request-id") answerHeaders[name] = response.rawHeaders[i + 1]!;
        }
        // Compressed bodies are compared decompressed: Next streams its prerendered documents in
        // several chunks, so the deflate blocks differ while the content is the same.
        resolve({
          status: response.statusCode!,
          headers: answerHeaders,
          body: (encoding === "gzip" ? gunzipSync(raw) : encoding === "deflate" ? inflateSync(raw) : raw).toString("utf8"),
        });
      });
    });
    request.on("error", reject);
    request.end(body);
  });
}

function normalize(answer: Answer, own: string): Answer {
  const body = answer.body
    .replaceAll(own, "SRV")
    .replaceAll(own.toLowerCase(), "srv")
    .replace(/kh_(live|test)_[0-9A-Za-z]{38}/g, "KEY")
    .replace(/"start":"kh_(live|test)_[0-9A-Za-z]{4}"/g, '"start":"START"')
    .replace(/(key|scp)_[0-9A-Za-z]{22}/g, "$1_ID")
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z/g, "TIME")
    // Written in the background, at most once a minute: set or not depends on timing alone.
    .replace(/"lastUsedAt":(null|"TIME")/g, '"lastUsedAt":"?"');
  return { ...answer, body };
}

interface Case {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

test("the dispatcher answers every API request as Next does", async () => {
  test.setTimeout(180_000);
  const harness = new Harness();
  try {
    const database = await harness.database();
    const direct = harness.launch(3223, database.url);
    const throughNext = harness.launch(3224, database.url, { KEYHOLD_API_DISPATCH: "0" });
    await ready(direct, throughNext);
    expect(direct.run.output()).toContain("API served straight from its route handlers");
    expect(throughNext.run.output()).toContain("API served through Next's router");

    const root = await issueKey(database.db, { name: "root", scopes: ["keys:read", "keys:write", "keys:verify", "usage:read", "audit:read"] }, system);
    const plain = await issueKey(database.db, { name: "plain" }, system);
    // The audit log up to here: what each instance does next is named after it.
    const setUp = new Date(Date.now() + 1).toISOString();
    // Each instance gets keys of its own where an answer depends on what the other did before.
    const ownKeys = async () => ({
      target: await issueKey(database.db, { name: "target" }, system),
      limited: await issueKey(database.db, { name: "limited", ratelimit: { limit: 1_000, windowMs: 3_600_000 } }, system),
    });
    const keysOf = { [direct.base]: await ownKeys(), [throughNext.base]: await ownKeys() };
    const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
    const json = { "content-type": "application/json" };
    const rootJson = { ...bearer(root.key), ...json };

    const cases = (instance: Instance, own: string): Case[] => {
      const { target: targetKey, limited } = keysOf[instance.base]!;
      const target = targetKey.record.id;
      const cases: Case[] = [
        { method: "GET", path: "/api/health" },
        { method: "GET", path: "/api/health/live" },
        { method: "HEAD", path: "/api/health/live" },
        { method: "GET", path: "/api/openapi.json" },
        { method: "GET", path: "/api/openapi.json", headers: { "accept-encoding": "gzip, deflate, br" } },
        { method: "GET", path: "/api/v1/whoami", headers: bearer(plain.key) },
        { method: "GET", path: "/api/v1/whoami", headers: { "x-api-key": limited.key } },
        { method: "GET", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "gzip" } },
        { method: "GET", path: "/api/v1/whoami", headers: { "accept-encoding": "identity" } },
        { method: "GET", path: "/api/v1/whoami", headers: { "accept-encoding": "gzip, deflate, br, zstd" } },
        { method: "GET", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "deflate" } },
        { method: "GET", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "gzip;q=0.5, identity" } },
        { method: "GET", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "*" } },
        { method: "HEAD", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "gzip" } },
        {
          method: "POST",
          path: "/api/v1/keys/verify",
          headers: { ...bearer(root.key), ...json, "accept-encoding": "gzip, deflate" },
          body: JSON.stringify({ key: plain.key }),
        },
        { method: "GET", path: "/api/v1/whoami", headers: { ...bearer(plain.key), "accept-encoding": "br" } },
        { method: "HEAD", path: "/api/openapi.json" },
        { method: "HEAD", path: "/api/openapi.json", headers: { "accept-encoding": "gzip" } },
        { method: "HEAD", path: "/api/v1/whoami", headers: bearer(plain.key) },
        { method: "GET", path: "/api/v1/whoami" },
        { method: "GET", path: "/api/v1/whoami", headers: bearer("kh_live_0000000000000000000000000000000000000a") },
        { method: "GET", path: `/api/v1/whoami?api_key=${plain.key}` },
        { method: "POST", path: "/api/v1/keys/verify", headers: rootJson, body: JSON.stringify({ key: plain.key }) },
        { method: "POST", path: "/api/v1/keys/verify", headers: rootJson, body: JSON.stringify({ key: plain.key, scopes: ["orders:read"] }) },
        { method: "POST", path: "/api/v1/keys/verify", headers: rootJson, body: "{not json" },
        { method: "POST", path: "/api/v1/keys/verify", headers: { ...bearer(plain.key), ...json }, body: JSON.stringify({ key: plain.key }) },
        { method: "GET", path: "/api/v1/keys?limit=2", headers: bearer(root.key) },
        { method: "GET", path: "/api/v1/keys?limit=1000", headers: bearer(root.key) },
        { method: "GET", path: `/api/v1/keys/${plain.record.id}`, headers: bearer(root.key) },
        { method: "GET", path: "/api/v1/keys/key_doesnotexist", headers: bearer(root.key) },
        { method: "GET", path: `/api/v1/keys/${target}/usage?granularity=day`, headers: bearer(root.key) },
        { method: "PATCH", path: `/api/v1/keys/${target}`, headers: rootJson, body: JSON.stringify({ name: `renamed ${own}` }) },
        { method: "PATCH", path: `/api/v1/keys/${target}`, headers: rootJson, body: JSON.stringify({ bogus: 1 }) },
        { method: "POST", path: `/api/v1/keys/${target}/rotate`, headers: rootJson, body: JSON.stringify({ gracePeriodSeconds: 60 }) },
        { method: "POST", path: `/api/v1/keys/${target}/revoke`, headers: rootJson, body: JSON.stringify({ reason: "test" }) },
        { method: "POST", path: "/api/v1/keys", headers: rootJson, body: JSON.stringify({ name: `made by ${own}` }) },
        { method: "GET", path: "/api/v1/scopes", headers: bearer(root.key) },
        { method: "POST", path: "/api/v1/scopes", headers: rootJson, body: JSON.stringify({ name: `orders:${own.toLowerCase()}` }) },
        { method: "POST", path: "/api/v1/scopes", headers: rootJson, body: JSON.stringify({ name: "keys:read" }) },
        // 404 and 405, and what Next alone answers: other methods, redirects, its router's requests.
        { method: "GET", path: "/api/v1/nothing/here" },
        { method: "POST", path: "/api/v1/nothing", headers: json, body: "{}" },
        { method: "HEAD", path: "/api/v1/nothing" },
        { method: "DELETE", path: "/api/v1/whoami" },
        { method: "PUT", path: "/api/v1/keys", headers: json, body: "{}" },
        { method: "GET", path: "/api/v1/keys/verify", headers: bearer(root.key) },
        { method: "POST", path: "/api/health/live" },
        { method: "OPTIONS", path: "/api/v1/whoami" },
        { method: "PROPFIND", path: "/api/v1/whoami" },
        { method: "GET", path: "/api/v1/whoami/", headers: bearer(plain.key) },
        { method: "GET", path: "/api/v1//whoami", headers: bearer(plain.key) },
        { method: "GET", path: "/api/v1/keys/%6B%65y_x", headers: bearer(root.key) },
        { method: "GET", path: "/api/v1/keys/%FF", headers: bearer(root.key) },
        { method: "GET", path: "/api/health", headers: { rsc: "1" } },
        // A streamed body, passed on chunk by chunk.
        { method: "GET", path: `/api/v1/audit/export?to=${setUp}`, headers: { ...bearer(root.key), "accept-encoding": "gzip" } },
        { method: "GET", path: `/api/v1/audit/export?to=${setUp}`, headers: bearer(root.key) },
      ];
      return cases;
    };

    // In turns, so that both instances see the database in the same state for each request.
    const own = { [direct.base]: "SRVA", [throughNext.base]: "SRVB" };
    const directCases = cases(direct, own[direct.base]!);
    const nextCases = cases(throughNext, own[throughNext.base]!);
    for (let i = 0; i < directCases.length; i++) {
      const a = directCases[i]!;
      const b = nextCases[i]!;
      const fromDirect = normalize(await send(direct.base, a.method, a.path, a.headers, a.body), own[direct.base]!);
      const fromNext = normalize(await send(throughNext.base, b.method, b.path, b.headers, b.body), own[throughNext.base]!);
      expect(fromDirect, `${a.method} ${a.path}`).toEqual(fromNext);
    }
  } finally {
    await harness.close();
  }
});
