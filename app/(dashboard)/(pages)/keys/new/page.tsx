import type { Metadata } from "next";
import { redirect } from "next/navigation";

import { CreateKeyForm } from "@/components/keys/create-key-form";
import { PageHeader } from "@/components/ui/page-header";
import { can } from "@/lib/access/permissions";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { MANAGEMENT_SCOPES, type ManagementScope } from "@/lib/keys/management-scopes";
import { listScopes } from "@/lib/scopes/service";

export const metadata: Metadata = { title: "New key" };

const MANAGEMENT_DESCRIPTIONS: Record<ManagementScope, string> = {
  "keys:read": "Read keys through the API",
  "keys:write": "Create, change, rotate and revoke keys",
  "keys:verify": "Verify other keys over HTTP",
  "usage:read": "Read usage figures",
  "webhooks:write": "Manage webhook endpoints and their deliveries",
  "audit:read": "Read and export the audit log",
};

export default async function NewKeyPage() {
  const user = await requireUser();
  if (!can(user, "changeKeys")) redirect("/keys");
  const scopes = await listScopes(getDb());
  return (
    <>
      <PageHeader title="New key" description="The key is shown once, right after it is created." />
      <CreateKeyForm
        scopes={scopes.map((scope) => ({ name: scope.name, description: scope.description }))}
        managementScopes={MANAGEMENT_SCOPES.map((name) => ({ name, description: MANAGEMENT_DESCRIPTIONS[name] }))}
      />
    </>
  );
}
