import type { KeyAddress } from "@/lib/usage/key-addresses";

import { card, DataTable, numeric } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Num } from "../ui/number";
import { Time } from "../ui/time";

/** "Used from": the client addresses of one key over the last 30 days (DESIGN.md section 15.4). */
export function AddressesTable({ addresses }: { addresses: KeyAddress[] }) {
  if (addresses.length === 0) return <EmptyState title="No requests with this key in the last 30 days." />;
  return (
    <DataTable
      label="Addresses that used this key"
      columns={["Address", { title: "Requests", numeric: true }, { title: "Denied", numeric: true }, "Last seen"]}
      cards
    >
      {addresses.map((address) => (
        <tr key={address.ip}>
          <td className="px-3 py-1.5 font-mono text-xs wrap-anywhere">{address.ip}</td>
          <td
            className={`px-3 py-1.5 ${numeric} max-md:order-2 ${card.start} ${address.requests === 1 ? "max-md:after:content-['_request']" : "max-md:after:content-['_requests']"}`}
          >
            <Num value={address.requests} />
          </td>
          <td className={`px-3 py-1.5 ${numeric} max-md:order-3 max-md:after:content-['_denied'] ${card.end}`}>
            <Num value={address.denied} />
          </td>
          <td className={`px-3 py-1.5 whitespace-nowrap max-md:order-1 ${card.end}`}>
            <Time date={address.lastSeenAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
