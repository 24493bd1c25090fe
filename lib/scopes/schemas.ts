import { z } from "zod";

import { isManagementScope, SCOPE_NAME_PATTERN } from "../keys/management-scopes";

export const scopeRecord = z.strictObject({
  id: z.string(),
  name: z.string(),
  description: z.string(),
  keyCount: z.number().int(),
  createdAt: z.string(),
});
export type ScopeRecordJson = z.infer<typeof scopeRecord>;

export const createScopeRequest = z.strictObject({
  name: z
    .string()
    .regex(SCOPE_NAME_PATTERN, "must look like resource:action (lowercase, e.g. orders:read)")
    .max(200)
    .refine((name) => !isManagementScope(name), "is a reserved management scope and needs no catalogue entry"),
  description: z.string().trim().max(500).default(""),
});

export const updateScopeRequest = z.strictObject({ description: z.string().trim().max(500) });

export const listScopesResponse = z.strictObject({ data: z.array(scopeRecord) });
