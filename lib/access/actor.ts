import type { Role } from "./roles";

// Who performs an action: a root key over the API, a dashboard user, the admin CLI, or Keyhold
// itself. Services authorize (lib/access/permissions.ts) and audit by it.
export type Actor =
  | { type: "key"; id: string; scopes: readonly string[]; ip?: string | null }
  | { type: "user"; id: string; role: Role; ip?: string | null }
  | { type: "cli"; id: string | null; ip?: null }
  | { type: "system"; id: null; ip?: null };
