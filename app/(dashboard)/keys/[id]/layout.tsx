import { notFound } from "next/navigation";

import { requireUser } from "@/lib/auth/session";
import { getDb } from "@/lib/db/client";
import { ApiError } from "@/lib/errors/api-error";
import { getKey } from "@/lib/keys/service";

// An unknown id answers 404 from here: this layout renders before the page's loading boundary
// streams anything, so the status line can still say so.
export default async function KeyLayout({ children, params }: { children: React.ReactNode; params: Promise<{ id: string }> }) {
  await requireUser();
  const { id } = await params;
  await getKey(getDb(), id).catch((error: unknown) => {
    if (error instanceof ApiError && error.code === "not_found") notFound();
    throw error;
  });
  return children;
}
