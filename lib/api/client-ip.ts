// The client address (DESIGN.md section 14): the socket address, which lib/server/http-server.ts
// writes into CLIENT_IP_HEADER (overwriting anything a client sent), unless
// KEYHOLD_TRUST_PROXY says how many proxies in front of us append to X-Forwarded-For.

export const CLIENT_IP_HEADER = "x-keyhold-socket-ip";

export function clientIp(headers: Headers, trustedProxies: number): string | null {
  const socket = normalize(headers.get(CLIENT_IP_HEADER));
  if (trustedProxies === 0 || socket === null) return socket;
  const forwarded = headers.get("x-forwarded-for");
  if (!forwarded) return socket;
  const chain = forwarded.split(",").map((hop) => hop.trim()).filter(Boolean);
  chain.push(socket);
  // Each trusted proxy appended the address it saw; the one before them is the client.
  return normalize(chain[Math.max(0, chain.length - 1 - trustedProxies)]!);
}

function normalize(address: string | null): string | null {
  if (!address) return null;
  return address.startsWith("::ffff:") ? address.slice(7) : address;
}
