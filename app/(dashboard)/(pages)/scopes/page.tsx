import type { Metadata } from "next";
import Link from "next/link";
import { AddScopeButton, EditScopeButton } from "@/components/scopes/scope-forms";
import { EmptyState } from "@/components/ui/empty-state";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { canChange, requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { listScopes } from "@/lib/scopes/service";
import { TableFrame } from "@/components/ui/table-frame";

export const metadata: Metadata = { title: "Scopes" };

export default async function ScopesPage() {
  const user = await requireUser();
  const scopes = await listScopes(getDb());
  const editable = canChange(user);
  return (
    <>
      <PageHeader
        title="Scopes"
        description="The catalogue of scopes keys may be given. keys:read, keys:write, keys:verify and usage:read are built in."
        actions={editable && <AddScopeButton />}
      />
      {scopes.length === 0 ? (
        <EmptyState title="The catalogue is empty.">{editable && "Add scopes like orders:read, then give them to keys."}</EmptyState>
      ) : (
        <TableFrame label="Scope catalogue">
          <table className="w-full text-left text-sm">
            <thead className="border-b border-zinc-200 bg-zinc-50 text-xs text-zinc-600 uppercase">
              <tr>
                <th className="px-3 py-2 font-medium">Scope</th>
                <th className="px-3 py-2 font-medium">Description</th>
                <th className="px-3 py-2 font-medium">Keys</th>
                <th className="px-3 py-2 font-medium">Added</th>
                {editable && <th className="px-3 py-2 font-medium"><span className="sr-only">Actions</span></th>}
              </tr>
            </thead>
            <tbody className="divide-y divide-zinc-100">
              {scopes.map((scope) => (
                <tr key={scope.id}>
                  <td className="px-3 py-2 font-mono text-xs">{scope.name}</td>
                  <td className="px-3 py-2 text-zinc-700">{scope.description || <span className="text-zinc-500">none</span>}</td>
                  <td className="px-3 py-2">
                    <Link className="text-blue-800 hover:underline" href={`/keys?scope=${encodeURIComponent(scope.name)}`}>
                      {scope.keyCount}
                    </Link>
                  </td>
                  <td className="px-3 py-2 whitespace-nowrap">
                    <Time date={scope.createdAt} />
                  </td>
                  {editable && (
                    <td className="px-3 py-2 text-right">
                      <EditScopeButton id={scope.id} name={scope.name} description={scope.description} />
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </TableFrame>
      )}
    </>
  );
}
