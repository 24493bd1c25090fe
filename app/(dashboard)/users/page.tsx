import type { Metadata } from "next";
import { notFound } from "next/navigation";
import { Badge } from "@/components/ui/badge";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { AddUserButton, DisableUserButton, RoleSelect } from "@/components/users/user-forms";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { listUsers } from "@/lib/users/list-users";
import { TableFrame } from "@/components/ui/table-frame";

export const metadata: Metadata = { title: "Users" };

export default async function UsersPage() {
  const user = await requireUser();
  if (user.role !== "OWNER") notFound();
  const users = await listUsers(getDb());
  return (
    <>
      <PageHeader title="Users" description="Who can sign in to this dashboard, and what they may do." actions={<AddUserButton />} />
      <TableFrame label="Users">
        <table className="w-full text-left text-sm">
          <thead className="border-b border-zinc-200 bg-zinc-50 text-xs text-zinc-600 uppercase">
            <tr>
              <th className="px-3 py-2 font-medium">User</th>
              <th className="px-3 py-2 font-medium">Role</th>
              <th className="px-3 py-2 font-medium">Status</th>
              <th className="px-3 py-2 font-medium">Added</th>
              <th className="px-3 py-2 font-medium">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody className="divide-y divide-zinc-100">
            {users.map((member) => (
              <tr key={member.id}>
                <td className="px-3 py-2">
                  {member.name}
                  <span className="block text-xs text-zinc-600">{member.email}</span>
                </td>
                <td className="px-3 py-2">
                  {/* Also for the OWNER themselves: handing ownership over means making someone
                      else OWNER and then stepping down. The service refuses to leave no active OWNER. */}
                  {member.disabledAt ? member.role.toLowerCase() : <RoleSelect userId={member.id} role={member.role} email={member.email} self={member.id === user.id} />}
                </td>
                <td className="px-3 py-2">{member.disabledAt ? <Badge tone="zinc">disabled</Badge> : <Badge tone="green">active</Badge>}</td>
                <td className="px-3 py-2 whitespace-nowrap">
                  <Time date={member.createdAt} />
                </td>
                <td className="px-3 py-2 text-right">{!member.disabledAt && <DisableUserButton email={member.email} self={member.id === user.id} />}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableFrame>
    </>
  );
}
