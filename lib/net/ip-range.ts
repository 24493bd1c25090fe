import ipaddr from "ipaddr.js";

// Addresses and CIDR ranges as configured (KEYHOLD_TRUSTED_PROXIES) and as seen on sockets.
// An IPv4-mapped IPv6 address (`::ffff:10.0.0.1`, what a dual-stack socket reports) is the IPv4
// address, so one range covers a client however it connected.

export type IpRange = readonly [ipaddr.IPv4 | ipaddr.IPv6, number];

/** `10.0.0.0/8`, `2001:db8::/32`, or a single address (a /32 or /128); null when neither. */
export function parseIpRange(text: string): IpRange | null {
  const value = text.trim();
  if (ipaddr.isValidCIDR(value)) {
    const [address, bits] = ipaddr.parseCIDR(value);
    if (address.kind() === "ipv6" && (address as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      return [(address as ipaddr.IPv6).toIPv4Address(), bits - 96];
    }
    return [address, bits];
  }
  const address = parseIp(value);
  return address ? [address, address.kind() === "ipv4" ? 32 : 128] : null;
}

// Parsing costs more than the rest of a cached verification, and every request parses its
// socket address (and an allowlisted key the address again): the few addresses a server sees
// again and again are kept. Cleared when full, so a client cycling through addresses costs
// memory up to the bound, never beyond. The parsed objects are shared: nothing may change them.
const PARSED_LIMIT = 4_096;
const parsed = new Map<string, ipaddr.IPv4 | ipaddr.IPv6 | null>();

/** The address in canonical form (IPv4-mapped as IPv4), or null when it is not one. */
export function parseIp(text: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  let address = parsed.get(text);
  if (address === undefined) {
    address = ipaddr.isValid(text) ? ipaddr.process(text) : null;
    if (parsed.size >= PARSED_LIMIT) parsed.clear();
    parsed.set(text, address);
  }
  return address;
}

// Written back out on every request too (the client address of the usage event and the log): the
// text of each shared parsed address is kept with it, and goes when it does.
const texts = new WeakMap<ipaddr.IPv4 | ipaddr.IPv6, string>();

/** The address as text, canonical (`10.0.0.1`, `2001:db8::1`): toString(), remembered. */
export function ipText(address: ipaddr.IPv4 | ipaddr.IPv6): string {
  let text = texts.get(address);
  if (text === undefined) {
    text = address.toString();
    texts.set(address, text);
  }
  return text;
}

export function inRanges(address: ipaddr.IPv4 | ipaddr.IPv6, ranges: readonly IpRange[]): boolean {
  return ranges.some(([base, bits]) => base.kind() === address.kind() && address.match(base, bits));
}
