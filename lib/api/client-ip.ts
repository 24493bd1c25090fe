import { inRanges, ipText, parseIp, type IpRange } from "../net/ip-range";

// The client address (DESIGN.md sections 14 and 15.7): the socket address, which
// lib/server/http-server.ts writes into CLIENT_IP_HEADER (overwriting anything a client sent).
// X-Forwarded-For is read only when that socket address is one of KEYHOLD_TRUSTED_PROXIES: a
// client reaching the instance directly cannot choose its own address.

export const CLIENT_IP_HEADER = "x-keyhold-socket-ip";

export function clientIp(headers: Headers, trustedProxies: readonly IpRange[]): string | null {
  const socket = parseIp(headers.get(CLIENT_IP_HEADER) ?? "");
  if (socket === null) return null;
  let client = socket;
  if (inRanges(client, trustedProxies)) {
    const hops = (headers.get("x-forwarded-for") ?? "")
      .split(",")
      .map((hop) => hop.trim())
      .filter(Boolean);
    // Each proxy appended the address it saw: walk back from ours past every trusted proxy. A hop
    // that is not an address ends the walk at the proxy that wrote it, never at a made-up value.
    for (let i = hops.length - 1; i >= 0 && inRanges(client, trustedProxies); i--) {
      const hop = parseIp(hops[i]!);
      if (hop === null) break;
      client = hop;
    }
  }
  return ipText(client);
}
