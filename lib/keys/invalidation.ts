import pg from "pg";

// Cross-instance cache invalidation over Postgres LISTEN/NOTIFY (DESIGN.md section 9): a
// change to a key notifies its id in the same transaction, delivered to every instance on commit.

export const KEY_CHANNEL = "keyhold_key_changed";

type Executor = { $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number> };

/** Call inside the transaction that changes the key: listeners hear of it only if it commits. */
export async function notifyKeyChanged(tx: Executor, keyId: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_notify(${KEY_CHANNEL}, ${keyId})`;
}

export interface KeyChangeListener {
  stop(): Promise<void>;
}

const RECONNECT_DELAY_MS = 1_000;

/**
 * Keeps one connection listening. Each time it is (re)established, onReset runs: changes made
 * while nobody listened were missed, so what was cached before must go. A lost connection
 * clears nothing by itself: cached keys must keep working through an outage (their TTL bounds it).
 */
export function listenForKeyChanges(connectionString: string, handlers: { onChange(keyId: string): void; onReset(): void }): KeyChangeListener {
  let client: pg.Client | null = null;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  const connect = async () => {
    if (stopped) return;
    const next = new pg.Client({ connectionString, connectionTimeoutMillis: 5_000, keepAlive: true });
    next.on("notification", (message) => {
      if (message.channel === KEY_CHANNEL && message.payload) handlers.onChange(message.payload);
    });
    next.on("error", () => retry(next));
    next.on("end", () => retry(next));
    try {
      await next.connect();
      await next.query(`LISTEN ${KEY_CHANNEL}`);
      client = next;
      handlers.onReset();
    } catch {
      retry(next);
    }
  };

  const retry = (failed: pg.Client) => {
    failed.removeAllListeners();
    failed.on("error", () => undefined);
    void failed.end().catch(() => undefined);
    if (client === failed) client = null;
    if (stopped || timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void connect();
    }, RECONNECT_DELAY_MS);
    timer.unref();
  };

  void connect();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const current = client;
      client = null;
      if (current) {
        current.removeAllListeners();
        current.on("error", () => undefined);
        await current.end().catch(() => undefined);
      }
    },
  };
}
