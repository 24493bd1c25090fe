import type { Metadata } from "next";
import { notFound } from "next/navigation";

import { Badge } from "@/components/ui/badge";
import { card, DataTable } from "@/components/ui/data-table";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { AddUserButton, DisableUserButton, RoleSelect } from "@/components/users/user-forms";
import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { listUsers } from "@/lib/users/list-users";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await requireUser();
  if (!can(user, "manageUsers")) notFound();
  const users = await listUsers(getDb());
  return (
    <>
      <PageHeader title="Users" description="Who can sign in to this dashboard, and what they may do." actions={<AddUserButton />} />
      <DataTable label="Users" columns={["User", "Role", "Status", "Added", { title: "Actions", srOnly: true }]} cards>
        {users.map((member) => (
          <tr key={member.id}>
            <td className="px-3 py-2 wrap-anywhere max-md:order-1">
              {member.name}
              <span className="block text-xs text-zinc-600">{member.email}</span>
            </td>
            <td className="px-3 py-2 max-md:order-3">
              {/* Also for the OWNER themselves: handing ownership over means making someone
                  else OWNER and then stepping down. The service refuses to leave no active OWNER. */}
              {member.disabledAt ? (
                member.role.toLowerCase()
              ) : (
                <RoleSelect userId={member.id} role={member.role} email={member.email} self={member.id === user.id} />
              )}
            </td>
            <td className={`px-3 py-2 max-md:order-2 ${card.end}`}>
              {member.disabledAt ? <Badge tone="zinc">disabled</Badge> : <Badge tone="green">active</Badge>}
            </td>
            {/* Users have no page of their own, so a card keeps the date. */}
            <td className={`px-3 py-2 whitespace-nowrap max-md:order-5 max-md:text-xs max-md:text-zinc-600 max-md:before:content-['Added_'] ${card.full}`}>
              <Time date={member.createdAt} />
            </td>
            <td className={`px-3 py-2 text-right max-md:order-4 ${card.end}`}>
              {!member.disabledAt && <DisableUserButton email={member.email} self={member.id === user.id} />}
            </td>
          </tr>
        ))}
      </DataTable>
    </>
  );
}
