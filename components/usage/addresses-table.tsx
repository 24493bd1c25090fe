import type { KeyAddress } from "@/lib/usage/key-addresses";
import { DataTable } from "../ui/data-table";
import { EmptyState } from "../ui/empty-state";
import { Num } from "../ui/number";
import { Time } from "../ui/time";

/** "Used from": the client addresses of one key over the last 30 days (DESIGN.md section 15.4). */
export function AddressesTable({ addresses }: { addresses: KeyAddress[] }) {
  if (addresses.length === 0) return <EmptyState title="No requests with this key in the last 30 days." />;
  return (
    <DataTable label="Addresses that used this key" columns={["Address", "Requests", "Denied", "Last seen"]}>
      {addresses.map((address) => (
        <tr key={address.ip}>
          <td className="px-3 py-1.5 font-mono text-xs">{address.ip}</td>
          <td className="px-3 py-1.5">
            <Num value={address.requests} />
          </td>
          <td className="px-3 py-1.5">
            <Num value={address.denied} />
          </td>
          <td className="px-3 py-1.5">
            <Time date={address.lastSeenAt} />
          </td>
        </tr>
      ))}
    </DataTable>
  );
}
