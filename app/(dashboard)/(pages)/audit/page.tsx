import type { Metadata } from "next";

import { AuditTable } from "@/components/audit/audit-table";
import { buttonClass } from "@/components/ui/button";
import { CursorPager } from "@/components/ui/cursor-pager";
import { Input, Select } from "@/components/ui/field";
import { FilterActions } from "@/components/ui/filter-actions";
import { FilterChips } from "@/components/ui/filter-chips";
import { PageHeader } from "@/components/ui/page-header";
import { AuditQueryError, listAuditEntries, type AuditQuery } from "@/lib/audit/query-audit";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";

export const metadata: Metadata = { title: "Audit log" };

const ACTOR_TYPES = ["user", "key", "cli", "system"] as const;
const TARGET_TYPES = ["key", "scope", "user", "webhook"] as const;
const FILTER_LABELS = { actorType: "Actor", actorId: "Actor id", action: "Action", targetType: "Target", targetId: "Target id" };
// Suggestions only: the filter takes any action name, including ones added later.
const ACTIONS = [
  "key.create",
  "key.update",
  "key.rotate",
  "key.revoke",
  "scope.create",
  "scope.update",
  "user.create",
  "user.role_change",
  "user.disable",
  "user.password_change",
  "user.password_reset",
  "webhook.create",
  "webhook.update",
  "webhook.delete",
  "webhook.roll_secret",
  "webhook.retry",
  "webhook.disable",
];

export default async function AuditPage({ searchParams }: { searchParams: Promise<Record<string, string | undefined>> }) {
  await requireUser();
  const params = await searchParams;
  const query: AuditQuery = { limit: 50 };
  if (params.actorType && (ACTOR_TYPES as readonly string[]).includes(params.actorType)) query.actorType = params.actorType as AuditQuery["actorType"];
  if (params.actorId) query.actorId = params.actorId;
  if (params.action) query.action = params.action;
  if (params.targetType && (TARGET_TYPES as readonly string[]).includes(params.targetType)) query.targetType = params.targetType;
  if (params.targetId) query.targetId = params.targetId;
  if (params.cursor && /^\d+$/.test(params.cursor)) query.cursor = params.cursor;
  // A cursor no id can match (an edited link) shows the newest entries instead of an error.
  const page = await listAuditEntries(getDb(), query).catch((error: unknown) => {
    if (query.cursor && error instanceof AuditQueryError) return listAuditEntries(getDb(), { ...query, cursor: undefined });
    throw error;
  });
  const applied = Object.fromEntries(
    Object.entries(query).filter((entry): entry is [string, string] => entry[0] in FILTER_LABELS && typeof entry[1] === "string"),
  );
  const filtered = Object.keys(applied).length > 0;
  const inUrl = Object.fromEntries(Object.entries(params).filter((entry): entry is [string, string] => Boolean(entry[1])));
  const exportFilters = new URLSearchParams(Object.entries(inUrl).filter(([name]) => name !== "cursor")).toString();

  return (
    <>
      <PageHeader
        title="Audit log"
        description="Every change, by any user, root key, the admin CLI or Keyhold itself. Newest first."
        actions={
          // A download, not a page: the browser saves the stream as it arrives.
          <a href={`/audit/export?${exportFilters}`} download className={buttonClass("secondary")}>
            Export NDJSON
          </a>
        }
      />
      <form role="search" aria-label="Filter the audit log" className="mb-4 grid grid-cols-2 gap-2 lg:grid-cols-[repeat(5,minmax(0,1fr))_auto]">
        {/* Keyed by their values so that a chip clearing a filter resets the field too. */}
        <Select key={`actorType-${params.actorType}`} name="actorType" defaultValue={params.actorType ?? ""} aria-label="Actor type">
          <option value="">Any actor</option>
          {ACTOR_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </Select>
        <Input key={`actorId-${params.actorId}`} name="actorId" defaultValue={params.actorId ?? ""} placeholder="Actor id" aria-label="Actor id" />
        <Input key={`action-${params.action}`} name="action" defaultValue={params.action ?? ""} placeholder="Action" aria-label="Action" list="audit-actions" />
        <datalist id="audit-actions">
          {ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
        <Select key={`targetType-${params.targetType}`} name="targetType" defaultValue={params.targetType ?? ""} aria-label="Target type">
          <option value="">Any target</option>
          {TARGET_TYPES.map((type) => (
            <option key={type} value={type}>
              {type}
            </option>
          ))}
        </Select>
        <Input key={`targetId-${params.targetId}`} name="targetId" defaultValue={params.targetId ?? ""} placeholder="Target id" aria-label="Target id" />
        <FilterActions clearHref="/audit" filtered={filtered} />
      </form>
      {filtered && (
        <div className="mb-3">
          <FilterChips path="/audit" applied={applied} labels={FILTER_LABELS} />
        </div>
      )}
      <AuditTable entries={page.data} label="Audit log entries" emptyTitle={filtered ? "No entries match these filters." : undefined} />
      <CursorPager path="/audit" filters={inUrl} cursor={params.cursor} nextCursor={page.nextCursor} labels={{ first: "Newest", next: "Older" }} />
    </>
  );
}
