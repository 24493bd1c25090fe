import Link from "next/link";
import type { AuditEntryView } from "@/lib/audit/query-audit";
import { EmptyState } from "../ui/empty-state";
import { Time } from "../ui/time";
import { TableFrame } from "../ui/table-frame";

export function AuditTable({ entries, label = "Audit entries", emptyTitle = "No changes recorded." }: { entries: AuditEntryView[]; label?: string; emptyTitle?: string }) {
  if (entries.length === 0) return <EmptyState title={emptyTitle} />;
  return (
    <TableFrame label={label}>
      <table className="w-full text-left text-sm">
        <thead className="border-b border-zinc-200 bg-zinc-50 text-xs text-zinc-600 uppercase">
          <tr>
            <th className="px-3 py-2 font-medium">When</th>
            <th className="px-3 py-2 font-medium">Action</th>
            <th className="px-3 py-2 font-medium">Actor</th>
            <th className="px-3 py-2 font-medium">Target</th>
            <th className="px-3 py-2 font-medium">Details</th>
          </tr>
        </thead>
        <tbody className="divide-y divide-zinc-100 align-top">
          {entries.map((entry) => (
            <tr key={entry.id}>
              <td className="px-3 py-1.5 whitespace-nowrap">
                <Time date={entry.at} />
              </td>
              <td className="px-3 py-1.5 font-mono text-xs">{entry.action}</td>
              <td className="px-3 py-1.5 text-xs">
                {entry.actorType}
                {entry.actorId && <span className="block font-mono text-zinc-600">{entry.actorId}</span>}
                {entry.ip && <span className="block text-zinc-600">{entry.ip}</span>}
              </td>
              <td className="px-3 py-1.5 font-mono text-xs">
                {entry.targetType}{" "}
                {entry.targetType === "key" && entry.targetId ? (
                  <Link href={`/keys/${entry.targetId}`} className="text-blue-800 hover:underline">
                    {entry.targetId}
                  </Link>
                ) : (
                  entry.targetId
                )}
              </td>
              <td className="max-w-md min-w-72 px-3 py-1.5">
                {/* One line that wraps: indented JSON made every key change a screen tall. */}
                <code className="block font-mono text-xs wrap-anywhere text-zinc-700">{JSON.stringify(entry.data)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableFrame>
  );
}
