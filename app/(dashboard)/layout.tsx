import Link from "next/link";
import { redirect } from "next/navigation";
import { Nav } from "@/components/layout/nav";
import { SidebarRefresh } from "@/components/layout/sidebar-refresh";
import { SignOutButton } from "@/components/layout/sign-out-button";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { hasUsers } from "@/lib/users/has-users";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  if (!(await hasUsers(getDb()))) redirect("/setup");
  const user = await requireUser();
  return (
    <div className="mx-auto flex min-h-screen max-w-7xl flex-col md:flex-row">
      <aside className="flex flex-col gap-2 border-b border-zinc-200 bg-white p-3 md:sticky md:top-0 md:h-screen md:w-52 md:gap-3 md:border-r md:border-b-0">
        {/* On a phone the name and sign-out share the top row, and the sections wrap below. */}
        <div className="flex items-center justify-between">
          <Link href="/" className="px-3 text-lg font-semibold tracking-tight">
            Keyhold
          </Link>
          <div className="md:hidden">
            <SignOutButton />
          </div>
        </div>
        <Nav role={user.role} />
        <SidebarRefresh email={user.email} role={user.role} />
        <div className="mt-auto hidden flex-col gap-1 px-3 text-xs text-zinc-600 md:flex">
          <span className="truncate" title={user.email}>
            {user.email}
          </span>
          <span>{user.role.toLowerCase()}</span>
        </div>
        <div className="hidden md:block">
          <SignOutButton />
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-4 md:p-6">{children}</main>
    </div>
  );
}
