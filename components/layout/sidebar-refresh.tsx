"use client";

import { usePathname, useRouter } from "next/navigation";
import { useEffect, useRef } from "react";

import { readSidebarUser } from "@/lib/actions/sidebar";

/**
 * Next keeps the dashboard layout across client navigations, so a role change or sign-out made
 * elsewhere would leave the sidebar showing the old links and role. After each navigation this
 * asks who the user is now, and re-renders the layout only when that changed.
 */
export function SidebarRefresh({ email, role }: { email: string; role: string }) {
  const pathname = usePathname();
  const router = useRouter();
  const askedFor = useRef(pathname);

  useEffect(() => {
    // A full load or a refresh just rendered the layout with fresh data: nothing to ask.
    if (askedFor.current === pathname) return;
    askedFor.current = pathname;
    let cancelled = false;
    readSidebarUser().then(
      (now) => {
        if (!cancelled && (now?.email !== email || now?.role !== role)) router.refresh();
      },
      // Offline or a server restart: the next navigation asks again.
      () => undefined,
    );
    return () => {
      cancelled = true;
    };
  }, [email, role, pathname, router]);

  return null;
}
