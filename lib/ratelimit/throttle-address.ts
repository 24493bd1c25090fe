import { ipText, parseIp } from "../net/ip-range";

// What the address throttles (invalid keys, sign-in) count by (DESIGN.md section 15.7). One IPv6
// subscriber gets a whole /64, so counting each IPv6 address on its own gave an attacker 2^64
// fresh addresses: they count by /64. IPv4 addresses count one by one.
export function throttleAddress(ip: string | null): string {
  const address = ip === null ? null : parseIp(ip);
  if (address === null) return "unknown";
  if (address.kind() === "ipv4") return ipText(address);
  const prefix = address
    .toNormalizedString()
    .split(":")
    .slice(0, 4)
    .map((part) => part.replace(/^0+(?=.)/, ""));
  return `${prefix.join(":")}::/64`;
}
