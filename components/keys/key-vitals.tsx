import type { RatelimitPressure } from "@/lib/usage/ratelimit-pressure";

import { Num } from "../ui/number";
import { Time } from "../ui/time";
import { KeyStatusBadge } from "./key-status-badge";

export interface KeyVitalsProps {
  status: "active" | "expired" | "revoked";
  expiresAt: Date | null;
  revokedReason: string | null;
  lastUsedAt: Date | null;
  /** The client address of the key's latest request, if any is recorded. */
  lastAddress: string | null;
  lastHour: { requests: number; refused: number };
  remaining: number | null;
  /** How the quota refills ("1,000 daily, next in 5 hours"), when it does. */
  refill?: React.ReactNode;
  ratelimit: { limit: number; windowMs: number } | null;
  pressure: RatelimitPressure | null;
}

/**
 * What a person opening a key asks first, before any detail: is it working, when and from where
 * was it last used, how much quota is left, how close it runs to its rate limit. Each card is
 * one term of a description list, its explanation below it.
 */
export function KeyVitals(props: KeyVitalsProps) {
  const { status, lastHour, ratelimit, pressure } = props;
  return (
    <section aria-label="At a glance" className="mb-4 grid grid-cols-2 gap-3 xl:grid-cols-4">
      <Card label="Status" value={<StatusValue {...props} />}>
        {status !== "active" ? (
          "It refuses every request."
        ) : lastHour.requests === 0 ? (
          "No requests in the last hour."
        ) : (
          <>
            <Num value={lastHour.requests} /> {lastHour.requests === 1 ? "request" : "requests"} in the last hour
            {lastHour.refused > 0 ? (
              <>
                , <Num value={lastHour.refused} /> refused
              </>
            ) : (
              ", none refused"
            )}
            .
          </>
        )}
      </Card>
      <Card label="Last used" value={<Time date={props.lastUsedAt} />}>
        {props.lastAddress ? (
          <>
            Latest request from <span className="font-mono">{props.lastAddress}</span>
          </>
        ) : (
          "No address recorded."
        )}
      </Card>
      <Card label="Quota left" value={props.remaining === null ? "unlimited" : <Num value={props.remaining} />}>
        {props.remaining === null ? "No quota: uses are not counted." : (props.refill ?? "Does not refill.")}
      </Card>
      <Card
        label="Rate limit"
        value={
          ratelimit ? (
            <>
              <Num value={ratelimit.limit} /> per <Num value={ratelimit.windowMs / 1000} /> s
            </>
          ) : (
            "none"
          )
        }
      >
        {ratelimit && pressure ? <Pressure ratelimit={ratelimit} pressure={pressure} /> : "Requests are not limited."}
      </Card>
    </section>
  );
}

function StatusValue({ status, expiresAt, revokedReason }: KeyVitalsProps) {
  return (
    <>
      <KeyStatusBadge status={status} expiresAt={expiresAt} />
      {revokedReason && <span className="ml-2 text-sm text-zinc-600">{revokedReason}</span>}
    </>
  );
}

function Pressure({ ratelimit, pressure }: { ratelimit: { limit: number; windowMs: number }; pressure: RatelimitPressure }) {
  const percent = Math.round(pressure.ratio * 100);
  return (
    <>
      <meter
        min={0}
        max={ratelimit.limit}
        low={ratelimit.limit * 0.7}
        high={ratelimit.limit * 0.9}
        optimum={0}
        value={Math.min(pressure.peak, ratelimit.limit)}
        aria-label="Busiest window in the last hour, against the rate limit"
        className="mb-1 block h-2 w-full"
      />
      Busiest window in the last hour: <Num value={pressure.peak} /> ({percent}% of the limit)
      {pressure.refused > 0 && (
        <>
          , <Num value={pressure.refused} /> refused by it
        </>
      )}
      .
    </>
  );
}

function Card({ label, value, children }: { label: string; value: React.ReactNode; children: React.ReactNode }) {
  return (
    <div className="rounded-lg border border-zinc-200 bg-white p-3">
      <dl>
        <div>
          <dt className="text-xs text-zinc-600">{label}</dt>
          <dd className="mt-0.5 text-lg font-semibold">{value}</dd>
        </div>
      </dl>
      <p className="mt-1 text-xs text-zinc-700">{children}</p>
    </div>
  );
}
