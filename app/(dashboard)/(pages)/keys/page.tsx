import type { Metadata } from "next";
import Link from "next/link";
import { KeyStatusBadge } from "@/components/keys/key-status-badge";
import { buttonClass } from "@/components/ui/button";
import { CursorPager } from "@/components/ui/cursor-pager";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Select } from "@/components/ui/field";
import { FilterActions } from "@/components/ui/filter-actions";
import { PageHeader } from "@/components/ui/page-header";
import { Time } from "@/components/ui/time";
import { ApiError } from "@/lib/errors/api-error";
import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { listKeys } from "@/lib/keys/list-keys";
import { keyStatus } from "@/lib/keys/key-status";
import { listKeysQuery } from "@/lib/keys/schemas";
import { listScopes } from "@/lib/scopes/service";
import { DataTable } from "@/components/ui/data-table";

export const metadata: Metadata = { title: "Keys" };

type Search = Record<string, string | string[] | undefined>;

export default async function KeysPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser();
  const raw = await searchParams;
  const values = Object.fromEntries(
    Object.entries(raw).flatMap(([name, value]) => (typeof value === "string" && value !== "" ? [[name, value]] : [])),
  );
  // The filters live in the URL; anything malformed there is dropped rather than failing the page.
  const parsed = listKeysQuery.safeParse({ ...values, limit: "25" });
  const filters = parsed.success ? parsed.data : listKeysQuery.parse({ limit: "25" });
  const db = getDb();
  // A mangled cursor (an edited or truncated link) shows the first page instead of an error.
  const page = (query: typeof filters) =>
    listKeys(db, query).catch((error: unknown) => {
      if (query.cursor && error instanceof ApiError && error.code === "bad_request") return listKeys(db, { ...query, cursor: undefined });
      throw error;
    });
  const [{ data, nextCursor }, scopes] = await Promise.all([page(filters), listScopes(db)]);
  const filtered = Boolean(filters.q || filters.status || filters.scope || filters.ownerId || filters.environment);

  return (
    <>
      <PageHeader
        title="Keys"
        description="Every API key, newest first."
        actions={
          can(user, "changeKeys") && (
            <Link href="/keys/new" className={buttonClass("primary")}>
              New key
            </Link>
          )
        }
      />
      <form className="mb-4 grid grid-cols-2 gap-2 lg:grid-cols-[minmax(0,2fr)_repeat(4,minmax(0,1fr))_auto]" role="search" aria-label="Filter keys">
        <Input name="q" defaultValue={filters.q ?? ""} placeholder="Name or kh_live_…" aria-label="Search by name or key start" className="col-span-2 lg:col-span-1" />
        <Select name="status" defaultValue={filters.status ?? ""} aria-label="Status">
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
        </Select>
        <Select name="scope" defaultValue={filters.scope ?? ""} aria-label="Scope">
          <option value="">Any scope</option>
          {["keys:read", "keys:write", "keys:verify", "usage:read", ...scopes.map((scope) => scope.name)].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </Select>
        <Input name="ownerId" defaultValue={filters.ownerId ?? ""} placeholder="Owner" aria-label="Owner" />
        <Select name="environment" defaultValue={filters.environment ?? ""} aria-label="Environment">
          <option value="">Live or test</option>
          <option value="live">live</option>
          <option value="test">test</option>
        </Select>
        <FilterActions clearHref="/keys" filtered={filtered} className="col-span-2 lg:col-span-1" />
      </form>
      {data.length === 0 ? (
        <EmptyState title={filtered ? "No keys match these filters." : "No keys yet."}>
          {filtered ? (
            <Link href="/keys" className="underline">
              Clear the filters
            </Link>
          ) : (
            can(user, "changeKeys") && "Create the first one with New key."
          )}
        </EmptyState>
      ) : (
        <DataTable label="Keys table" columns={["Name", "Key", "Status", "Owner", "Scopes", "Last used", "Created"]}>
          {data.map((key) => (
            <tr key={key.id} className="hover:bg-zinc-50">
              <td className="px-3 py-2">
                <Link href={`/keys/${key.id}`} className="font-medium text-blue-800 hover:underline">
                  {key.name}
                </Link>
                {key.environment === "test" && <span className="ml-1.5 text-xs text-zinc-600">test</span>}
              </td>
              <td className="px-3 py-2 font-mono text-xs whitespace-nowrap">{key.start}…</td>
              <td className="px-3 py-2">
                <KeyStatusBadge status={keyStatus(key)} expiresAt={key.expiresAt} />
              </td>
              <td className="px-3 py-2 text-zinc-700">{key.ownerId ?? <span className="text-zinc-500">none</span>}</td>
              <td className="max-w-56 truncate px-3 py-2 text-xs text-zinc-700" title={key.scopes.join(", ")}>
                {key.scopes.join(", ") || <span className="text-zinc-500">none</span>}
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                <Time date={key.lastUsedAt} />
              </td>
              <td className="px-3 py-2 whitespace-nowrap">
                <Time date={key.createdAt} />
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <CursorPager path="/keys" filters={values} cursor={filters.cursor} nextCursor={nextCursor} labels={{ first: "First page", next: "Next page" }} />
    </>
  );
}
