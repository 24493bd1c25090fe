import { z } from "zod";

import { pageLimit, pageOf } from "../pagination/page-schemas";

// Query and response shapes of the audit API (DESIGN.md section 15.6), side by side.

const isoDate = z.iso.datetime({ offset: true, message: "must be an ISO 8601 date-time, e.g. 2030-01-31T00:00:00Z" });
const text = z.string().min(1).max(200);
export const auditActorType = z.enum(["user", "key", "cli", "system"]);

const filters = {
  actorType: auditActorType.optional(),
  actorId: text.optional(),
  action: text.optional(),
  targetType: text.optional(),
  targetId: text.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
};

function fromBeforeTo(query: { from?: string; to?: string }, ctx: z.RefinementCtx): void {
  if (query.from && query.to && Date.parse(query.from) >= Date.parse(query.to)) {
    ctx.addIssue({ code: "custom", path: ["from"], message: "must be before to" });
  }
}

export const listAuditQuery = z
  .strictObject({
    ...filters,
    cursor: z
      .string()
      .regex(/^[1-9][0-9]{0,18}$/, "is not valid")
      .optional(),
    limit: pageLimit,
  })
  .superRefine(fromBeforeTo);

export const exportAuditQuery = z.strictObject(filters).superRefine(fromBeforeTo);
export type AuditFilters = z.infer<typeof exportAuditQuery>;

export const auditEntry = z.strictObject({
  id: z.string(),
  actorType: auditActorType,
  actorId: z.string().nullable(),
  action: z.string(),
  targetType: z.string(),
  targetId: z.string().nullable(),
  data: z.unknown(),
  ip: z.string().nullable(),
  at: z.string(),
});

export const auditListResponse = pageOf(auditEntry);
