import { EXPIRING_SOON_MS, type KeyStatus } from "@/lib/keys/key-status";

import { Badge } from "../ui/badge";

function expiresSoon(expiresAt: Date | string | null, now = Date.now()): boolean {
  return expiresAt !== null && new Date(expiresAt).getTime() - now < EXPIRING_SOON_MS;
}

export function KeyStatusBadge({ status, expiresAt }: { status: KeyStatus; expiresAt: Date | string | null }) {
  if (status === "revoked") return <Badge tone="red">revoked</Badge>;
  if (status === "expired") return <Badge tone="zinc">expired</Badge>;
  if (expiresSoon(expiresAt)) return <Badge tone="amber">expiring soon</Badge>;
  return <Badge tone="green">active</Badge>;
}
