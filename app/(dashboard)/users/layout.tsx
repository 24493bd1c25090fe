import { notFound } from "next/navigation";

import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";

// Decided here as well as in the page: this layout renders before the page's loading boundary
// streams anything, so anyone but an OWNER gets a real 404 status, not a 200 saying "Not found".
export default async function UsersLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  if (!can(user, "manageUsers")) notFound();
  return children;
}
