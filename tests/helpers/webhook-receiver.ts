import http from "node:http";
import type { AddressInfo } from "node:net";

// A real HTTP receiver for webhook tests: records every request and answers as told (a status
// per request, or no answer at all), so retries, timeouts and kills can be watched from outside.

export interface ReceivedWebhook {
  headers: Record<string, string | undefined>;
  body: string;
  /** What the receiver answered; null while it holds the request open. */
  answered: number | null;
}

export type Reply = number | "hang";

export interface WebhookReceiver {
  url: string;
  received: ReceivedWebhook[];
  /** Decides the answer to each request; default 200. */
  reply: (request: ReceivedWebhook, index: number) => Reply;
  /** Resolves once the receiver saw a hung request's connection close. */
  closedHung: () => Promise<void>;
  /** Every hung request answers `status` now. */
  release(status: number): void;
  close(): Promise<void>;
}

export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hung: { res: http.ServerResponse; entry: ReceivedWebhook }[] = [];
  let closedHungResolve: () => void = () => undefined;
  const closedHungPromise = new Promise<void>((resolve) => (closedHungResolve = resolve));
  const receiver: WebhookReceiver = {
    url: "",
    received: [],
    reply: () => 200,
    closedHung: () => closedHungPromise,
    release(status) {
      for (const { res, entry } of hung.splice(0)) {
        if (res.writableEnded || res.destroyed) continue;
        entry.answered = status;
        res.writeHead(status).end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(", ") : value]));
      const entry: ReceivedWebhook = { headers, body: Buffer.concat(chunks).toString("utf8"), answered: null };
      const index = receiver.received.push(entry) - 1;
      const reply = receiver.reply(entry, index);
      if (reply === "hang") {
        hung.push({ res, entry });
        res.on("close", () => closedHungResolve());
        return;
      }
      entry.answered = reply;
      res.writeHead(reply).end(reply >= 300 ? "receiver says no" : "ok");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`;
  return receiver;
}
