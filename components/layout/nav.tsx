"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

const items = [
  { href: "/", label: "Overview" },
  { href: "/keys", label: "Keys" },
  { href: "/scopes", label: "Scopes" },
  { href: "/usage", label: "Usage" },
  { href: "/webhooks", label: "Webhooks", managersOnly: true },
  { href: "/audit", label: "Audit log" },
  { href: "/users", label: "Users", ownerOnly: true },
  { href: "/account", label: "Account" },
];

export function Nav({ isOwner, canManage }: { isOwner: boolean; canManage: boolean }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-wrap gap-1 md:flex-col md:flex-nowrap">
      {items
        .filter((item) => (!item.ownerOnly || isOwner) && (!item.managersOnly || canManage))
        .map((item) => {
          const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
          return (
            <Link
              key={item.href}
              href={item.href}
              aria-current={active ? "page" : undefined}
              className={`whitespace-nowrap rounded-md px-3 py-1.5 text-sm ${active ? "bg-zinc-900 text-white" : "text-zinc-700 hover:bg-zinc-200"}`}
            >
              {item.label}
            </Link>
          );
        })}
    </nav>
  );
}
