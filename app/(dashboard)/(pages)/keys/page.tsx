import type { Metadata } from "next";
import Link from "next/link";

import { KeysTable } from "@/components/keys/keys-table";
import { SearchAsYouType } from "@/components/keys/search-as-you-type";
import { buttonClass } from "@/components/ui/button";
import { CursorPager } from "@/components/ui/cursor-pager";
import { EmptyState } from "@/components/ui/empty-state";
import { Input, Select } from "@/components/ui/field";
import { FilterActions } from "@/components/ui/filter-actions";
import { FilterChips } from "@/components/ui/filter-chips";
import { Num } from "@/components/ui/number";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { ApiError } from "@/lib/errors/api-error";
import { countKeys, type KeyCount } from "@/lib/keys/count-keys";
import { listKeys } from "@/lib/keys/list-keys";
import { MANAGEMENT_SCOPES } from "@/lib/keys/management-scopes";
import { listKeysQuery } from "@/lib/keys/schemas";
import { listScopes } from "@/lib/scopes/service";

export const metadata: Metadata = { title: "Keys" };

const FILTER_LABELS = { q: "Search", status: "Status", scope: "Scope", ownerId: "Owner", environment: "Environment" };

type Search = Record<string, string | string[] | undefined>;

export default async function KeysPage({ searchParams }: { searchParams: Promise<Search> }) {
  const user = await requireUser();
  const raw = await searchParams;
  const values = Object.fromEntries(Object.entries(raw).flatMap(([name, value]) => (typeof value === "string" && value !== "" ? [[name, value]] : [])));
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
  const [{ data, nextCursor }, scopes, count] = await Promise.all([page(filters), listScopes(db), countKeys(db, filters)]);
  const applied = Object.fromEntries(
    Object.entries(filters).filter((entry): entry is [string, string] => entry[0] in FILTER_LABELS && typeof entry[1] === "string"),
  );
  const filtered = Object.keys(applied).length > 0;

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
        <SearchAsYouType
          name="q"
          defaultValue={filters.q ?? ""}
          placeholder="Name or kh_live_…"
          aria-label="Search by name or key start"
          className="col-span-2 lg:col-span-1"
        />
        {/* Keyed by their values so that a chip clearing a filter resets the field too. */}
        <Select key={`status-${filters.status}`} name="status" defaultValue={filters.status ?? ""} aria-label="Status">
          <option value="">Any status</option>
          <option value="active">Active</option>
          <option value="expired">Expired</option>
          <option value="revoked">Revoked</option>
        </Select>
        <Select key={`scope-${filters.scope}`} name="scope" defaultValue={filters.scope ?? ""} aria-label="Scope">
          <option value="">Any scope</option>
          {[...MANAGEMENT_SCOPES, ...scopes.map((scope) => scope.name)].map((name) => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </Select>
        <Input key={`owner-${filters.ownerId}`} name="ownerId" defaultValue={filters.ownerId ?? ""} placeholder="Owner" aria-label="Owner" />
        <Select key={`environment-${filters.environment}`} name="environment" defaultValue={filters.environment ?? ""} aria-label="Environment">
          <option value="">Live or test</option>
          <option value="live">live</option>
          <option value="test">test</option>
        </Select>
        <FilterActions clearHref="/keys" filtered={filtered} className="col-span-2 lg:col-span-1" />
      </form>
      <div className="mb-3 flex flex-wrap items-center gap-x-4 gap-y-2">
        <p role="status" className="text-sm text-zinc-700">
          <CountText count={count} />
        </p>
        <FilterChips path="/keys" applied={applied} labels={FILTER_LABELS} />
      </div>
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
        <KeysTable keys={data} />
      )}
      <CursorPager path="/keys" filters={values} cursor={filters.cursor} nextCursor={nextCursor} labels={{ first: "First page", next: "Next page" }} />
    </>
  );
}

/** "27 keys", "about 1,000,002 keys" (table statistics) or "more than 10,000 keys". */
function CountText({ count }: { count: KeyCount }) {
  const prefix = { exact: "", estimate: "about ", atLeast: "more than " }[count.kind];
  return (
    <>
      {prefix}
      <Num value={count.count} /> {count.count === 1 && count.kind === "exact" ? "key" : "keys"}
    </>
  );
}
