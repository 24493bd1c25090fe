import type { Metadata } from "next";
import Link from "next/link";

import { AddScopeButton, EditScopeButton } from "@/components/scopes/scope-forms";
import { card, DataTable, numeric } from "@/components/ui/data-table";
import { EmptyState } from "@/components/ui/empty-state";
import { Num } from "@/components/ui/number";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { MANAGEMENT_SCOPES } from "@/lib/keys/management-scopes";
import { listScopes } from "@/lib/scopes/service";

export const metadata: Metadata = { title: "Scopes" };

export default async function ScopesPage() {
  const user = await requireUser();
  const scopes = await listScopes(getDb());
  const editable = can(user, "changeScopes");
  return (
    <>
      <PageHeader
        title="Scopes"
        description={`The catalogue of scopes keys may be given. ${MANAGEMENT_SCOPES.join(", ")} are built in.`}
        actions={editable && <AddScopeButton />}
      />
      {scopes.length === 0 ? (
        <EmptyState title="The catalogue is empty.">{editable && "Add scopes like orders:read, then give them to keys."}</EmptyState>
      ) : (
        <DataTable
          label="Scope catalogue"
          columns={["Scope", "Description", { title: "Keys", numeric: true }, "Added", editable && { title: "Actions", srOnly: true }]}
          cards
        >
          {scopes.map((scope) => (
            <tr key={scope.id}>
              <td className="px-3 py-2 font-mono text-xs wrap-anywhere max-md:order-1 max-md:font-semibold">{scope.name}</td>
              <td className={`px-3 py-2 text-zinc-700 max-md:order-3 ${card.full}`}>{scope.description || <span className="text-zinc-500">none</span>}</td>
              <td className={`px-3 py-2 ${numeric} max-md:order-4 ${card.start}`}>
                <Link
                  className={`text-blue-800 hover:underline ${scope.keyCount === 1 ? "max-md:after:content-['_key']" : "max-md:after:content-['_keys']"}`}
                  href={`/keys?scope=${encodeURIComponent(scope.name)}`}
                >
                  <Num value={scope.keyCount} />
                </Link>
              </td>
              <td className={`px-3 py-2 whitespace-nowrap max-md:order-5 ${card.end}`}>
                <Time date={scope.createdAt} />
              </td>
              {editable && (
                <td className={`px-3 py-2 text-right max-md:order-2 ${card.end}`}>
                  <EditScopeButton id={scope.id} name={scope.name} description={scope.description} />
                </td>
              )}
            </tr>
          ))}
        </DataTable>
      )}
    </>
  );
}
