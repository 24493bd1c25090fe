// The reserved scopes of DESIGN.md sections 5 and 15: a key holding any of them is a root key.
export const MANAGEMENT_SCOPES = ["keys:read", "keys:write", "keys:verify", "usage:read", "webhooks:write", "audit:read"] as const;

export type ManagementScope = (typeof MANAGEMENT_SCOPES)[number];

const reserved: ReadonlySet<string> = new Set(MANAGEMENT_SCOPES);

export function isManagementScope(scope: string): scope is ManagementScope {
  return reserved.has(scope);
}

export const SCOPE_NAME_PATTERN = /^[a-z][a-z0-9_-]*(:[a-z][a-z0-9_-]*)+$/;
