import ipaddr from "ipaddr.js";

import { inRanges, parseIpRange, type IpRange } from "./ip-range";

// Per-key IP allowlists (DESIGN.md section 15.4): entries are IPv4/IPv6 addresses or CIDR ranges,
// stored in one normal form so that equal entries compare equal, and an IPv4-mapped IPv6 address
// (::ffff:a.b.c.d) is its IPv4 address both in entries and in the client addresses matched.
// Stricter than lib/net/ip-range.ts, which reads configuration: what a key's owner types is
// taken only in the forms people write, so "10" is refused rather than read as 0.0.0.10.

export const MAX_ALLOWLIST_ENTRIES = 100;
// A key is used from few addresses, and parsing one costs more than the rest of a cached
// verification, so verdicts are remembered per list; the bound keeps address churn harmless.
const MAX_REMEMBERED = 1_024;

/** The normal form of an allowlist entry, or null when it is not an address or CIDR range. */
export function normalizeAllowlistEntry(text: string): string | null {
  const entry = text.trim();
  // Zone ids (fe80::1%eth0) name an interface of one machine, meaningless to anyone else.
  if (entry.length === 0 || entry.length > 64 || entry.includes("%")) return null;
  const slash = entry.indexOf("/");
  const address = parseStrict(slash === -1 ? entry : entry.slice(0, slash));
  if (address === null) return null;
  if (slash === -1) return unmapped(address).toString();

  const bitsText = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bitsText)) return null;
  let bits = Number(bitsText);
  let base: ipaddr.IPv4 | ipaddr.IPv6 = address;
  if (base.kind() === "ipv6" && bits > 128) return null;
  if (base.kind() === "ipv6" && (base as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
    base = (base as ipaddr.IPv6).toIPv4Address();
    bits -= 96;
  }
  if (base.kind() === "ipv4" && bits > 32) return null;
  const full = base.kind() === "ipv4" ? 32 : 128;
  if (bits === full) return base.toString();
  const network =
    base.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${base.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${base.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}

/** A client address as shown and matched: IPv4-mapped IPv6 becomes IPv4; null when unparseable. */
export function normalizeClientIp(text: string): string | null {
  return parseClient(text)?.toString() ?? null;
}

/** Compiled once per cached key, so a request pays for parsing its own address only. */
export class IpAllowlist {
  private readonly ranges: IpRange[];
  private readonly verdicts = new Map<string, boolean>();

  constructor(entries: readonly string[]) {
    this.ranges = [];
    for (const entry of entries) {
      const normal = normalizeAllowlistEntry(entry);
      // Stored entries were normalised on the way in; one that no longer parses allows nothing.
      const range = normal === null ? null : parseIpRange(normal);
      if (range !== null) this.ranges.push(range);
    }
  }

  /** Whether the address is inside any entry; an absent or unparseable address never is. */
  allows(ip: string | null | undefined): boolean {
    if (!ip) return false;
    let verdict = this.verdicts.get(ip);
    if (verdict === undefined) {
      verdict = this.match(ip);
      if (this.verdicts.size >= MAX_REMEMBERED) this.verdicts.clear();
      this.verdicts.set(ip, verdict);
    }
    return verdict;
  }

  private match(ip: string): boolean {
    const address = parseClient(ip);
    return address !== null && inRanges(address, this.ranges);
  }
}

// Only the forms people write: ipaddr.js alone would also take "10" or "0x0a.1" as IPv4.
function parseStrict(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (ipaddr.IPv4.isValidFourPartDecimal(text)) return ipaddr.IPv4.parse(text);
  if (text.includes(":") && ipaddr.IPv6.isValid(text)) return ipaddr.IPv6.parse(text);
  return null;
}

function unmapped(address: ipaddr.IPv4 | ipaddr.IPv6): ipaddr.IPv4 | ipaddr.IPv6 {
  return address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() ? (address as ipaddr.IPv6).toIPv4Address() : address;
}

function parseClient(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  const address = parseStrict(bare.includes("%") ? bare.slice(0, bare.indexOf("%")) : bare);
  return address === null ? null : unmapped(address);
}
