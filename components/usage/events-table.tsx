import Link from "next/link";
import type { UsageEventView } from "@/lib/usage/usage-summary";
import { Badge } from "../ui/badge";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";
import { DataTable } from "../ui/data-table";

export function EventsTable({ events, label = "Requests", showKey = false }: { events: UsageEventView[]; label?: string; showKey?: boolean }) {
  if (events.length === 0) return <EmptyState title="No requests recorded yet." />;
  return (
    <DataTable label={label} columns={["Outcome", showKey && "Key", "Request", "Status", "IP", "When"]}>
      {events.map((event) => (
        <tr key={event.id}>
          <td className="px-3 py-1.5">
            <Badge tone={event.outcome === "valid" ? "green" : "red"}>{event.outcome}</Badge>
          </td>
          {showKey && (
            <td className="px-3 py-1.5 font-mono text-xs">
              {event.keyId ? (
                <Link href={`/keys/${event.keyId}`} className="text-blue-800 hover:underline">
                  {event.keyId}
                </Link>
              ) : (
                "unknown"
              )}
            </td>
          )}
          <td className="px-3 py-1.5 font-mono text-xs whitespace-nowrap">
            {event.method} {event.path}
          </td>
          <td className="px-3 py-1.5">{event.status}</td>
          <td className="px-3 py-1.5 font-mono text-xs">{event.ip ?? "unknown"}</td>
          <td className="px-3 py-1.5 whitespace-nowrap">
            <Time date={event.at} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
