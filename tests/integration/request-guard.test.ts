import http from "node:http";
import type { AddressInfo } from "node:net";

import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";

import { getDb } from "../../lib/db/client";
import { metrics } from "../../lib/observability/metrics";
import { requestContextStorage, type RequestContext } from "../../lib/observability/request-context";
import { guardRequest } from "../../lib/server/request-guard";
import { getUsageRecorder } from "../../lib/usage/recorder";
import { databaseForThisFile } from "../helpers/migrated-database";

// DESIGN.md section 15.7: on any API route, a query parameter holding a key is 400 key_in_query,
// answered by the request guard before any route runs. It is still a verification attempt, and
// every attempt is an outcome in the metrics, in the request's log line and in usage; the key
// itself is kept nowhere. Before the guard recorded it, the attempt vanished from all three.

const KEY = "kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUVWX1a2b3c";
const migrated = databaseForThisFile("keyhold_request_guard");

let server: http.Server;
let port: number;
let reachedHandler: string[];
/** Each request's context, as the server's log line would read it once the response is done. */
const contexts = new Map<string, RequestContext>();

beforeAll(async () => {
  // Usage goes to this file's own database, so the counts below are this file's alone.
  process.env.DATABASE_URL = migrated.database.url;
  server = http.createServer((req, res) => {
    // As lib/server/http-server.ts does: the guard runs inside the request's context.
    const context: RequestContext = { id: String(req.headers["x-request-id"]) };
    contexts.set(context.id, context);
    if (requestContextStorage().run(context, () => guardRequest(req, res))) return;
    reachedHandler.push(req.url ?? "");
    res.end("reached");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await getUsageRecorder().stop();
  await getDb().$disconnect();
});

beforeEach(() => {
  reachedHandler = [];
});

let requests = 0;

async function get(path: string): Promise<{ status: number; body: string; context: RequestContext }> {
  const id = `guard-${++requests}`;
  const response = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { "x-request-id": id } });
  return { status: response.status, body: await response.text(), context: contexts.get(id)! };
}

async function keyInQueryCount(): Promise<number> {
  const { values } = await metrics().verifications.get();
  return values.find((value) => value.labels.outcome === "key_in_query")?.value ?? 0;
}

/** key_in_query requests in the hourly usage counts the charts read, once the buffer is written. */
async function keyInQueryUsage(): Promise<number> {
  await getUsageRecorder().flush();
  const { rows } = await migrated.admin.query<{ requests: number }>(
    "SELECT coalesce(sum(requests), 0)::int AS requests FROM usage_hours WHERE outcome = 'key_in_query'",
  );
  return rows[0]!.requests;
}

describe("guardRequest: keys in the query string of any API route", () => {
  const paths = ["/api/health", "/api/openapi.json", "/api/auth/session", "/api/v1/whoami"];

  it.each(paths)("refuses %s?access_token=<key> with 400 key_in_query, before any route", async (path) => {
    const answer = await get(`${path}?access_token=${KEY}`);
    expect(answer.status).toBe(400);
    expect(JSON.parse(answer.body).error.code).toBe("key_in_query");
    expect(answer.body).not.toContain(KEY);
    expect(reachedHandler).toEqual([]);
  });

  it("records the refusal as a verification attempt: metrics, the request's log fields and usage, never the key", async () => {
    const before = { metric: await keyInQueryCount(), usage: await keyInQueryUsage() };
    const refused = await get(`/api/v1/whoami?api_key=${KEY}`);
    expect(refused.status).toBe(400);
    expect(await keyInQueryCount()).toBe(before.metric + 1);
    expect(refused.context).toMatchObject({ keyId: null, outcome: "key_in_query" });
    expect(await keyInQueryUsage()).toBe(before.usage + 1);

    const stored = await migrated.admin.query<{ row: string }>(
      `SELECT row_to_json(t)::text AS row FROM usage_events t
       UNION ALL SELECT row_to_json(t)::text FROM usage_path_hours t
       UNION ALL SELECT row_to_json(t)::text FROM usage_path_days t
       UNION ALL SELECT row_to_json(t)::text FROM usage_hours t`,
    );
    expect(stored.rows.length).toBeGreaterThan(0);
    for (const { row } of stored.rows) expect(row).not.toContain(KEY);
  });

  it("leaves other queries and non-API paths alone, and records nothing for them", async () => {
    const before = await keyInQueryCount();
    const health = await get("/api/health?verbose=1");
    expect(health.status).toBe(200);
    expect(health.context).not.toHaveProperty("outcome");
    expect((await get(`/keys?q=${KEY.slice(0, 12)}`)).status).toBe(200);
    expect(await keyInQueryCount()).toBe(before);
  });
});
