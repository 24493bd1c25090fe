import http from "node:http";
import https from "node:https";

import ipaddr from "ipaddr.js";

import type { WebhookHeaders } from "./sign-webhook";
import { guardedLookup, isPublicAddress } from "./ssrf-guard";

// One delivery attempt (DESIGN.md section 15.5): a POST that counts as delivered only with a
// 2xx inside the time limit. Redirects are answers, not instructions (a 3xx is a failure), and
// at most 4 KiB of the response is read, so a receiver can neither steer nor flood the sender.

export const DELIVERY_TIMEOUT_MS = 10_000;
export const MAX_RESPONSE_BYTES = 4 * 1024;

export interface AttemptResult {
  ok: boolean;
  /** The receiver's status code, null when there was no answer. */
  status: number | null;
  /** Why it failed, for the delivery log: never the response body. */
  error: string | null;
}

export function sendWebhook(
  url: string,
  headers: WebhookHeaders,
  body: string,
  options: { allowPrivate: boolean; timeoutMs?: number },
): Promise<AttemptResult> {
  const target = new URL(url);
  const host = target.hostname.replace(/^\[|\]$/g, "");
  // An address literal never goes through lookup, so it is checked here.
  if (!options.allowPrivate && ipaddr.isValid(host) && !isPublicAddress(host)) {
    return Promise.resolve({ ok: false, status: null, error: "address is not public" });
  }
  const client = target.protocol === "https:" ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = client.request(
      target,
      {
        method: "POST",
        lookup: guardedLookup(options.allowPrivate),
        headers: { ...headers, "content-type": "application/json", "user-agent": "Keyhold-Webhooks/1", "content-length": Buffer.byteLength(body) },
      },
      (response) => {
        const status = response.statusCode ?? 0;
        let read = 0;
        response.on("data", (chunk: Buffer) => {
          read += chunk.length;
          if (read >= MAX_RESPONSE_BYTES) finish(outcome(status));
        });
        response.on("end", () => finish(outcome(status)));
        response.on("error", () => finish(outcome(status)));
      },
    );
    // The whole attempt, connection and answer included, not only an idle gap.
    const timer = setTimeout(
      () => finish({ ok: false, status: null, error: `no answer within ${(options.timeoutMs ?? DELIVERY_TIMEOUT_MS) / 1000} s` }),
      options.timeoutMs ?? DELIVERY_TIMEOUT_MS,
    );
    request.on("error", (error: NodeJS.ErrnoException) => finish({ ok: false, status: null, error: error.code ?? error.name }));
    request.end(body);
  });
}

function outcome(status: number): AttemptResult {
  const ok = status >= 200 && status < 300;
  return { ok, status, error: ok ? null : `HTTP ${status}` };
}
