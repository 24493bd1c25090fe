import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import { metrics } from "../observability/metrics";
import { AUTO_DISABLED_REASON, failPendingDeliveries } from "./fail-pending-deliveries";
import type { SecretBox } from "./secret-box";
import { DELIVERY_TIMEOUT_MS, sendWebhook } from "./send-webhook";
import { signWebhook } from "./sign-webhook";

// Sends the outbox (DESIGN.md section 15.5). Any number of instances run this against one
// database: a row is claimed with FOR UPDATE SKIP LOCKED, and the claim moves its visible_at a
// lease ahead, so no two instances send it at once, and a row whose instance died mid-attempt
// (SIGKILL, power loss) becomes due again when the lease runs out: at least once, and a second
// copy only in that case.

const HOUR_MS = 3_600_000;
export const GIVE_UP_AFTER_MS = 24 * HOUR_MS;
const MAX_BACKOFF_MS = 6 * HOUR_MS;

export interface DeliveryWorkerOptions {
  db: Db;
  secrets: SecretBox;
  allowPrivate: boolean;
  pollMs?: number;
  batchSize?: number;
  /** Longer than an attempt can take, so a live instance's claim never runs out under it. */
  leaseMs?: number;
  /** First retry delay; each further one doubles, up to 6 hours. */
  retryBaseMs?: number;
  timeoutMs?: number;
}

interface Claimed {
  id: string;
  endpoint_id: string;
  url: string;
  secret_encrypted: string;
  body: string;
  attempts: number;
  age_ms: number;
}

export function retryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_BACKOFF_MS);
}

export class DeliveryWorker {
  private readonly pollMs: number;
  private readonly batchSize: number;
  private readonly leaseMs: number;
  private readonly retryBaseMs: number;
  private readonly timeoutMs: number;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private running: Promise<number> | null = null;
  private stopped = true;

  constructor(private readonly options: DeliveryWorkerOptions) {
    this.pollMs = options.pollMs ?? 1_000;
    this.batchSize = options.batchSize ?? 10;
    this.timeoutMs = options.timeoutMs ?? DELIVERY_TIMEOUT_MS;
    this.leaseMs = options.leaseMs ?? this.timeoutMs * 3;
    this.retryBaseMs = options.retryBaseMs ?? 5_000;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** No new claims; waits for attempts in flight, so their results are recorded. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.runOnce();
      this.running
        .then((sent) => this.schedule(sent >= this.batchSize ? 0 : this.pollMs))
        .catch((error: unknown) => {
          console.error(`webhooks: delivery round failed (${error instanceof Error ? error.name : typeof error})`);
          this.schedule(this.pollMs);
        });
    }, delayMs);
    this.timer.unref();
  }

  /** Claims due deliveries and attempts each once; returns how many were attempted. */
  async runOnce(): Promise<number> {
    const { db } = this.options;
    const claimed = await db.$queryRaw<Claimed[]>`
      UPDATE webhook_deliveries d
      SET visible_at = now() + make_interval(secs => ${this.leaseMs / 1000}::float8), attempts = d.attempts + 1, last_attempt_at = now()
      FROM (
        SELECT d2.id FROM webhook_deliveries d2 JOIN webhook_endpoints e ON e.id = d2.endpoint_id
        WHERE d2.status = 'pending' AND d2.visible_at <= now() AND e.enabled
        ORDER BY d2.visible_at
        LIMIT ${this.batchSize}::int
        FOR UPDATE OF d2 SKIP LOCKED
      ) c, webhook_endpoints e
      WHERE d.id = c.id AND e.id = d.endpoint_id
      RETURNING d.id, d.endpoint_id, e.url, e.secret_encrypted, d.body, d.attempts,
        (extract(epoch FROM now() - d.created_at) * 1000)::float8 AS age_ms`;
    await Promise.all(claimed.map((row) => this.attempt(row)));
    const pending = await db.webhookDelivery.count({ where: { status: "pending" } });
    metrics().webhookPending.set(pending);
    return claimed.length;
  }

  private async attempt(row: Claimed): Promise<void> {
    const { db } = this.options;
    const started = performance.now();
    let result;
    try {
      const secret = this.options.secrets.open(row.secret_encrypted);
      const headers = signWebhook(secret, row.id, Math.floor(Date.now() / 1000), row.body);
      result = await sendWebhook(row.url, headers, row.body, { allowPrivate: this.options.allowPrivate, timeoutMs: this.timeoutMs });
    } catch {
      result = { ok: false, status: null, error: "could not sign or send" };
    }
    metrics().webhookDeliverySeconds.observe((performance.now() - started) / 1000);
    const givingUp = !result.ok && row.age_ms + (performance.now() - started) >= GIVE_UP_AFTER_MS;
    metrics().webhookDeliveries.inc({ result: result.ok ? "succeeded" : givingUp ? "gave_up" : "failed" });
    const status = result.ok ? "delivered" : givingUp ? "failed" : "pending";
    const retryInSeconds = retryDelayMs(row.attempts, this.retryBaseMs) / 1000;
    await db.$transaction(async (tx) => {
      // Only the latest claim records: after a lease ran out, another instance owns the row.
      await tx.$executeRaw`
        UPDATE webhook_deliveries
        SET status = ${status}, response_status = ${result.status}::int, last_error = ${result.error},
            visible_at = now() + make_interval(secs => ${retryInSeconds}::float8)
        WHERE id = ${row.id} AND attempts = ${row.attempts}::int`;
      if (result.ok) {
        await tx.$executeRaw`UPDATE webhook_endpoints SET failing_since = NULL WHERE id = ${row.endpoint_id} AND failing_since IS NOT NULL`;
        return;
      }
      await tx.$executeRaw`UPDATE webhook_endpoints SET failing_since = now() WHERE id = ${row.endpoint_id} AND failing_since IS NULL`;
      const disabled = await tx.$queryRaw<{ id: string }[]>`
        UPDATE webhook_endpoints SET enabled = false, disabled_reason = ${AUTO_DISABLED_REASON}, updated_at = now()
        WHERE id = ${row.endpoint_id} AND enabled AND failing_since <= now() - interval '24 hours'
        RETURNING id`;
      if (disabled.length === 0) return;
      await failPendingDeliveries(tx, row.endpoint_id);
      await writeAudit(tx, {
        actor: { type: "system", id: null },
        action: "webhook.disable",
        targetType: "webhook",
        targetId: row.endpoint_id,
        data: { reason: AUTO_DISABLED_REASON },
      });
    });
  }
}
