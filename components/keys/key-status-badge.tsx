import { Badge } from "../ui/badge";

const SOON_MS = 7 * 86_400_000;

function expiresSoon(expiresAt: Date | string | null, now = Date.now()): boolean {
  return expiresAt !== null && new Date(expiresAt).getTime() - now < SOON_MS;
}

export function KeyStatusBadge({ status, expiresAt }: { status: "active" | "expired" | "revoked"; expiresAt: Date | string | null }) {
  if (status === "revoked") return <Badge tone="red">revoked</Badge>;
  if (status === "expired") return <Badge tone="zinc">expired</Badge>;
  if (expiresSoon(expiresAt)) return <Badge tone="amber">expiring soon</Badge>;
  return <Badge tone="green">active</Badge>;
}
