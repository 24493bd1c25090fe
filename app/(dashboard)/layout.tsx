import { headers } from "next/headers";
import Link from "next/link";
import { redirect } from "next/navigation";

import { Nav } from "@/components/layout/nav";
import { SidebarRefresh } from "@/components/layout/sidebar-refresh";
import { SignOutButton } from "@/components/layout/sign-out-button";
import { LocaleProvider } from "@/components/ui/locale-context";
import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { viewerLocale } from "@/lib/locale/viewer-locale";
import { hasUsers } from "@/lib/users/has-users";

export const dynamic = "force-dynamic";

export default async function DashboardLayout({ children }: { children: React.ReactNode }) {
  if (!(await hasUsers(getDb()))) redirect("/setup");
  const user = await requireUser();
  return (
    <div className="mx-auto flex min-h-screen max-w-7xl flex-col md:flex-row">
      {/* The aside stretches to the page's full height, carrying the background and border; its
          content sticks to the top of the window while the page scrolls. */}
      <aside className="border-b border-zinc-200 bg-white md:w-52 md:shrink-0 md:border-r md:border-b-0">
        <div className="flex flex-col gap-2 p-3 md:sticky md:top-0 md:h-screen md:gap-3">
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
        </div>
      </aside>
      <main className="min-w-0 flex-1 p-4 md:p-6">
        <LocaleProvider locale={viewerLocale((await headers()).get("accept-language"))}>{children}</LocaleProvider>
      </main>
    </div>
  );
}
