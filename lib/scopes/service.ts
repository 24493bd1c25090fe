import type { Actor } from "../access/actor";
import { writeAudit } from "../audit/write-audit";
import type { Db } from "../db/client";
import { Prisma } from "../db/generated/client";
import { isId, newId } from "../db/ids";
import { ApiError } from "../errors/api-error";
import { assertCanChangeKeys } from "../keys/authorize";
import type { ScopeRecordJson } from "./schemas";

// The scope catalogue (DESIGN.md section 5): the scopes keys may be given, with descriptions.

interface ScopeRow {
  id: string;
  name: string;
  description: string;
  created_at: Date;
  key_count: number;
}

export async function listScopes(db: Db): Promise<ScopeRecordJson[]> {
  // keyCount counts keys still in force or expired, not revoked ones (section 7.1), as the
  // trigger on api_keys keeps them in scope_key_counts.
  const rows = await db.$queryRaw<ScopeRow[]>`
    SELECT s.id, s.name, s.description, s.created_at, coalesce(c.keys, 0) AS key_count
    FROM scopes s LEFT JOIN scope_key_counts c ON c.scope = s.name
    ORDER BY s.name`;
  return rows.map(toJson);
}

export async function createScope(db: Db, input: { name: string; description: string }, actor: Actor): Promise<ScopeRecordJson> {
  assertCanChangeKeys(actor);
  try {
    const scope = await db.$transaction(async (tx) => {
      const created = await tx.scope.create({ data: { id: newId("scp"), name: input.name, description: input.description } });
      await writeAudit(tx, { actor, action: "scope.create", targetType: "scope", targetId: created.id, data: input });
      return created;
    });
    return { id: scope.id, name: scope.name, description: scope.description, keyCount: 0, createdAt: scope.createdAt.toISOString() };
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === "P2002") {
      throw new ApiError("conflict", `The scope ${input.name} exists already.`);
    }
    throw error;
  }
}

export async function updateScope(db: Db, id: string, input: { description: string }, actor: Actor): Promise<ScopeRecordJson> {
  assertCanChangeKeys(actor);
  if (!isId("scp", id)) throw new ApiError("not_found", "No scope with this id.");
  await db.$transaction(async (tx) => {
    const existing = await tx.scope.findUnique({ where: { id } });
    if (!existing) throw new ApiError("not_found", "No scope with this id.");
    if (existing.description === input.description) return;
    await tx.scope.update({ where: { id }, data: { description: input.description } });
    await writeAudit(tx, {
      actor,
      action: "scope.update",
      targetType: "scope",
      targetId: id,
      data: { changes: { description: { from: existing.description, to: input.description } } },
    });
  });
  const scope = (await listScopes(db)).find((candidate) => candidate.id === id);
  if (!scope) throw new ApiError("not_found", "No scope with this id.");
  return scope;
}

function toJson(row: ScopeRow): ScopeRecordJson {
  return { id: row.id, name: row.name, description: row.description, keyCount: Number(row.key_count), createdAt: row.created_at.toISOString() };
}
