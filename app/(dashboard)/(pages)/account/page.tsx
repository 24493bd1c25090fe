import type { Metadata } from "next";

import { PageHeader } from "@/components/ui/page-header";
import { ChangePasswordForm } from "@/components/users/user-forms";
import { requireUser } from "@/lib/auth/session";

export const metadata: Metadata = { title: "Account" };

export default async function AccountPage() {
  const user = await requireUser();
  return (
    <>
      <PageHeader title="Account" description={`${user.name} · ${user.email} · ${user.role.toLowerCase()}`} />
      <h2 className="mb-2 font-semibold">Change your password</h2>
      <ChangePasswordForm />
    </>
  );
}
