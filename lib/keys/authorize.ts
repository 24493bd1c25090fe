import type { Actor } from "../access/actor";
import { can } from "../access/permissions";
import { ApiError } from "../errors/api-error";
import { isManagementScope } from "./management-scopes";

// Server-side rules on who may change keys (DESIGN.md sections 5 and 14).

export function assertCanChangeKeys(actor: Actor): void {
  if (!can(actor, "changeKeys")) {
    throw new ApiError("insufficient_scope", "Viewers can read keys but not change them.");
  }
}

/**
 * No escalation: management scopes may only be handed over by someone who holds them. `scopes`
 * are all the management scopes the result would carry (for a rotation or update, including
 * the ones the key holds already: its new plaintext would hand them over).
 */
export function assertCanGrant(actor: Actor, scopes: readonly string[]): void {
  const management = scopes.filter(isManagementScope);
  if (management.length === 0) return;
  let missing: string[] = [];
  if (actor.type === "key") missing = management.filter((scope) => !actor.scopes.includes(scope));
  else if (!can(actor, "grantManagementScopes")) missing = management;
  if (missing.length > 0) {
    throw new ApiError("insufficient_scope", `You cannot give a key scopes you do not hold: ${missing.join(", ")}.`, {
      details: { required: missing },
    });
  }
}
