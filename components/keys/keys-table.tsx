import Link from "next/link";

import type { ApiKey } from "@/lib/db/generated/client";
import { keyStatus } from "@/lib/keys/key-status";

import { card, DataTable } from "../ui/data-table";
import { Time } from "../ui/time";
import { KeyStatusBadge } from "./key-status-badge";

/** The keys list; on a phone each key is a card of name, start, status and owner. */
export function KeysTable({ keys }: { keys: ApiKey[] }) {
  return (
    <DataTable label="Keys table" columns={["Name", "Key", "Status", "Owner", "Scopes", "Last used", "Created"]} cards>
      {keys.map((key) => (
        <tr key={key.id} className="hover:bg-zinc-50">
          <td className="px-3 py-2">
            <Link href={`/keys/${key.id}`} className="font-medium text-blue-800 hover:underline">
              {key.name}
            </Link>
            {key.environment === "test" && <span className="ml-1.5 text-xs text-zinc-600">test</span>}
          </td>
          <td className={`px-3 py-2 font-mono text-xs whitespace-nowrap ${card.end}`}>{key.start}…</td>
          <td className="px-3 py-2">
            <KeyStatusBadge status={keyStatus(key)} expiresAt={key.expiresAt} />
          </td>
          <td className={`px-3 py-2 text-zinc-700 max-md:max-w-[45vw] max-md:truncate ${card.end}`} title={key.ownerId ?? undefined}>
            {key.ownerId ?? <span className="text-zinc-500">no owner</span>}
          </td>
          <td className={`max-w-56 truncate px-3 py-2 text-xs text-zinc-700 ${card.hide}`} title={key.scopes.join(", ")}>
            {key.scopes.join(", ") || <span className="text-zinc-500">none</span>}
          </td>
          <td className={`px-3 py-2 whitespace-nowrap ${card.hide}`}>
            <Time date={key.lastUsedAt} />
          </td>
          <td className={`px-3 py-2 whitespace-nowrap ${card.hide}`}>
            <Time date={key.createdAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
