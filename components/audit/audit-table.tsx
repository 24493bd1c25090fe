import Link from "next/link";

import type { AuditEntryView } from "@/lib/audit/query-audit";

import { card, DataTable } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";

/** Audit entries; on a phone each is a card: the action and when, then who, what and the details. */
export function AuditTable({
  entries,
  label = "Audit entries",
  emptyTitle = "No changes recorded.",
}: {
  entries: AuditEntryView[];
  label?: string;
  emptyTitle?: string;
}) {
  if (entries.length === 0) return <EmptyState title={emptyTitle} />;
  return (
    <DataTable label={label} columns={["When", "Action", "Actor", "Target", "Details"]} alignTop cards>
      {entries.map((entry) => (
        <tr key={entry.id}>
          <td className={`px-3 py-1.5 whitespace-nowrap ${card.end}`}>
            <Time date={entry.at} />
          </td>
          <td className="px-3 py-1.5 font-mono text-xs max-md:order-first max-md:font-semibold">{entry.action}</td>
          <td className={`px-3 py-1.5 text-xs ${card.full}`}>
            {entry.actorType}
            {entry.actorId && <span className="block font-mono text-zinc-600 max-md:ml-1 max-md:inline">{entry.actorId}</span>}
            {entry.ip && <span className="block text-zinc-600 max-md:ml-1 max-md:inline">{entry.ip}</span>}
          </td>
          <td className={`px-3 py-1.5 font-mono text-xs wrap-anywhere ${card.full}`}>
            {entry.targetType}{" "}
            {entry.targetType === "key" && entry.targetId ? (
              <Link href={`/keys/${entry.targetId}`} className="text-blue-800 hover:underline">
                {entry.targetId}
              </Link>
            ) : (
              entry.targetId
            )}
          </td>
          <td className={`max-w-md min-w-72 px-3 py-1.5 max-md:max-w-none max-md:min-w-0 ${card.full}`}>
            {/* One line that wraps: indented JSON made every key change a screen tall. */}
            <code className="block font-mono text-xs wrap-anywhere text-zinc-700">{JSON.stringify(entry.data)}</code>
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
