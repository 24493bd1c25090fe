import { NextRequest } from "next/server";

import { CLIENT_IP_HEADER } from "../../lib/api/client-ip";

// Calls a route handler as Keyhold's server would, without a server: the socket address goes in
// the header the server sets, and dynamic segments in `params`.
// Route handlers are typed by their contracts (lib/api/contract/bind-contract.ts); any will do here.
type RouteHandler = (...args: never[]) => Promise<Response> | Response;
type Callable = (request: NextRequest, context: { params: Promise<Record<string, string>> }) => Promise<Response>;

export interface RouteCall {
  key: string;
  body?: unknown;
  socketIp?: string;
  headers?: Record<string, string>;
  params?: Record<string, string>;
}

export async function callRoute(
  handler: RouteHandler,
  method: string,
  path: string,
  call: RouteCall,
): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers = new Headers({ authorization: `Bearer ${call.key}`, ...call.headers });
  headers.set(CLIENT_IP_HEADER, call.socketIp ?? "127.0.0.1");
  if (call.body !== undefined) headers.set("content-type", "application/json");
  const request = new NextRequest(new URL(path, "http://keyhold.test"), {
    method,
    headers,
    body: call.body === undefined ? undefined : JSON.stringify(call.body),
  });
  const response = await (handler as unknown as Callable)(request, { params: Promise.resolve(call.params ?? {}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}
