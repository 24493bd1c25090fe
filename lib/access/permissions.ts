import type { Actor } from "./actor";
import type { Role } from "./roles";

// Who may do what (DESIGN.md sections 5 and 14), the one table that pages, server actions,
// services and the navigation all ask through can(). The services ask whatever the UI showed:
// server actions are public endpoints.

export type Permission = "changeKeys" | "changeScopes" | "grantManagementScopes" | "manageWebhooks" | "manageUsers";

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  OWNER: ["changeKeys", "changeScopes", "grantManagementScopes", "manageWebhooks", "manageUsers"],
  ADMIN: ["changeKeys", "changeScopes", "grantManagementScopes", "manageWebhooks"],
  VIEWER: [],
};

// A key reaches a service only through a route whose contract demanded its scopes, and may give
// only the management scopes it holds itself (lib/keys/authorize.ts); it never manages users.
// Webhooks it manages only with the webhooks:write scope (lib/webhooks/endpoint-service.ts).
const KEY_PERMISSIONS: readonly Permission[] = ["changeKeys", "changeScopes", "grantManagementScopes"];

/** A signed-in user (anything with a role) or any actor. */
export type Subject = Actor | { type?: undefined; role: Role };

export function can(subject: Subject, permission: Permission): boolean {
  switch (subject.type) {
    case undefined:
    case "user":
      return ROLE_PERMISSIONS[subject.role].includes(permission);
    case "key":
      return KEY_PERMISSIONS.includes(permission);
    // The admin CLI is run by whoever runs the server; Keyhold's own jobs act for no one.
    case "cli":
    case "system":
      return true;
  }
}
