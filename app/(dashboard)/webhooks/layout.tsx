import { notFound } from "next/navigation";

import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";

// Webhooks are for OWNER and ADMIN (DESIGN.md section 15.5). Decided in a layout outside the
// (pages) loading boundary, so a VIEWER gets a real 404 status before anything streams.
export default async function WebhooksLayout({ children }: { children: React.ReactNode }) {
  const user = await requireUser();
  if (!can(user, "manageWebhooks")) notFound();
  return children;
}
