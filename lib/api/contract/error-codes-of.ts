import { DENIED_OUTCOMES, type ErrorCode } from "../../errors/error-codes";
import type { RouteContract } from "./route-contract";

// Every refusal a protected route can answer before its handler runs; a scope can be missing
// only where the contract asks for one.
const AUTH_ERRORS: readonly ErrorCode[] = DENIED_OUTCOMES.filter((code) => code !== "insufficient_scope");

/** Every error code an operation can answer, derived from what its contract declares. */
export function errorCodesOf(contract: RouteContract): ErrorCode[] {
  if (contract.scopes === null) return [];
  const codes = new Set<ErrorCode>(AUTH_ERRORS);
  if (contract.scopes.length > 0) codes.add("insufficient_scope");
  if (contract.body || contract.query) codes.add("bad_request");
  if (contract.body) codes.add("payload_too_large");
  if (contract.path.includes("{")) codes.add("not_found");
  for (const code of contract.errors ?? []) codes.add(code);
  codes.add("internal_error");
  return [...codes];
}
