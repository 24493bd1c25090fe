import type { Prisma } from "../db/generated/client";

type Tx = Prisma.TransactionClient;

/**
 * Claims the right to send one alert: true for exactly one caller per (kind, subject), or per
 * `everyMs` when given. The row lock of the upsert makes that hold across instances, and it
 * commits with the event's outbox rows, so a rolled-back alert is not marked as sent.
 */
export async function markAlert(tx: Tx, kind: string, subject: string, everyMs: number | null = null): Promise<boolean> {
  const rows =
    everyMs === null
      ? await tx.$queryRaw<unknown[]>`
          INSERT INTO alert_marks (kind, subject) VALUES (${kind}, ${subject})
          ON CONFLICT (kind, subject) DO NOTHING
          RETURNING 1`
      : await tx.$queryRaw<unknown[]>`
          INSERT INTO alert_marks (kind, subject) VALUES (${kind}, ${subject})
          ON CONFLICT (kind, subject) DO UPDATE SET marked_at = now()
            WHERE alert_marks.marked_at <= now() - make_interval(secs => ${everyMs / 1000}::float8)
          RETURNING 1`;
  return rows.length > 0;
}
