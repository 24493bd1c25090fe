import Link from "next/link";

import type { UsageEventView } from "@/lib/usage/usage-summary";

import { Badge } from "../ui/badge";
import { card, DataTable } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";

/** Recent requests; on a phone each is a card: outcome and when, the request, then status and address. */
export function EventsTable({ events, label = "Requests", showKey = false }: { events: UsageEventView[]; label?: string; showKey?: boolean }) {
  if (events.length === 0) return <EmptyState title="No requests recorded yet." />;
  return (
    <DataTable label={label} columns={["Outcome", showKey && "Key", "Request", "Status", "IP", "When"]} cards>
      {events.map((event) => (
        <tr key={event.id}>
          <td className="px-3 py-1.5 max-md:order-1">
            <Badge tone={event.outcome === "valid" ? "green" : "red"}>{event.outcome}</Badge>
          </td>
          {showKey && (
            <td className={`px-3 py-1.5 font-mono text-xs max-md:order-4 ${card.full}`}>
              {event.keyId ? (
                <Link href={`/keys/${event.keyId}`} className="text-blue-800 hover:underline">
                  {event.keyId}
                </Link>
              ) : (
                "unknown"
              )}
            </td>
          )}
          <td className={`px-3 py-1.5 font-mono text-xs whitespace-nowrap max-md:order-3 max-md:truncate ${card.full}`} title={`${event.method} ${event.path}`}>
            {event.method} {event.path}
          </td>
          <td className="px-3 py-1.5 max-md:order-5 max-md:text-xs max-md:before:content-['HTTP_']">{event.status}</td>
          <td className={`px-3 py-1.5 font-mono text-xs max-md:order-6 ${card.end}`}>{event.ip ?? "unknown"}</td>
          <td className={`px-3 py-1.5 whitespace-nowrap max-md:order-2 ${card.end}`}>
            <Time date={event.at} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
