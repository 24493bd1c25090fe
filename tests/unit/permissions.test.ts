import { describe, expect, it } from "vitest";

import type { Actor } from "../../lib/access/actor";
import { can, type Permission } from "../../lib/access/permissions";
import { ROLES } from "../../lib/access/roles";

// DESIGN.md section 5: OWNER everything and users, ADMIN keys and scopes, VIEWER reads only;
// keys never manage users; the CLI acts for whoever runs the server.

const PERMISSIONS: Permission[] = ["changeKeys", "changeScopes", "grantManagementScopes", "manageUsers"];

function allowed(actor: Parameters<typeof can>[0]): Permission[] {
  return PERMISSIONS.filter((permission) => can(actor, permission));
}

describe("can", () => {
  it("gives each role exactly what section 5 says", () => {
    expect(allowed({ role: "OWNER" })).toEqual(PERMISSIONS);
    expect(allowed({ role: "ADMIN" })).toEqual(["changeKeys", "changeScopes", "grantManagementScopes"]);
    expect(allowed({ role: "VIEWER" })).toEqual([]);
  });

  it("answers the same for a signed-in user and for that user acting", () => {
    for (const role of ROLES) {
      const actor: Actor = { type: "user", id: "usr_x", role };
      expect(allowed(actor)).toEqual(allowed({ role }));
    }
  });

  it("never lets a key manage users, and lets the CLI and the system do everything", () => {
    expect(allowed({ type: "key", id: "key_x", scopes: ["keys:write"] })).not.toContain("manageUsers");
    expect(allowed({ type: "cli", id: null })).toEqual(PERMISSIONS);
    expect(allowed({ type: "system", id: null })).toEqual(PERMISSIONS);
  });
});
