"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";

import { can, type Permission } from "@/lib/access/permissions";
import type { Role } from "@/lib/access/roles";

const items: { href: string; label: string; permission?: Permission }[] = [
  { href: "/", label: "Overview" },
  { href: "/keys", label: "Keys" },
  { href: "/scopes", label: "Scopes" },
  { href: "/usage", label: "Usage" },
  { href: "/audit", label: "Audit log" },
  { href: "/users", label: "Users", permission: "manageUsers" },
  { href: "/webhooks", label: "Webhooks", permission: "manageWebhooks" },
  { href: "/docs/api", label: "API reference" },
  { href: "/account", label: "Account" },
];

export function Nav({ role }: { role: Role }) {
  const pathname = usePathname();
  return (
    <nav aria-label="Main" className="flex flex-wrap gap-1 md:flex-col md:flex-nowrap">
      {items
        .filter((item) => !item.permission || can({ role }, item.permission))
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
