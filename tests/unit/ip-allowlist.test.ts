import { describe, expect, it } from "vitest";

import { IpAllowlist, normalizeAllowlistEntry, normalizeClientIp } from "../../lib/net/ip-allowlist";

// DESIGN.md section 15.4: IPv4, IPv6 and CIDR entries in one normal form; an IPv4-mapped IPv6
// address is its IPv4 address, in entries and in the client addresses matched.

describe("normalizeAllowlistEntry", () => {
  it("writes addresses and ranges in one form, so equal entries compare equal", () => {
    expect(normalizeAllowlistEntry(" 203.0.113.9 ")).toBe("203.0.113.9");
    expect(normalizeAllowlistEntry("2001:0DB8:0000:0000:0000:0000:0000:0001")).toBe("2001:db8::1");
    expect(normalizeAllowlistEntry("10.1.2.3/8")).toBe("10.0.0.0/8");
    expect(normalizeAllowlistEntry("2001:db8::5/32")).toBe("2001:db8::/32");
    expect(normalizeAllowlistEntry("198.51.100.7/32")).toBe("198.51.100.7");
    expect(normalizeAllowlistEntry("::1/128")).toBe("::1");
  });

  it("shows an IPv4-mapped IPv6 address or range as IPv4", () => {
    expect(normalizeAllowlistEntry("::ffff:192.0.2.1")).toBe("192.0.2.1");
    expect(normalizeAllowlistEntry("::ffff:10.0.0.0/104")).toBe("10.0.0.0/8");
  });

  it.each(["10.0.0.0/33", "2001:db8::/129", "example.com", "10", "0x0a.0.0.1", "10.0.0.1/", "10.0.0.1/abc", "fe80::1%eth0", "", "1.2.3.4.5"])(
    "refuses %j",
    (entry) => {
      expect(normalizeAllowlistEntry(entry)).toBeNull();
    },
  );
});

describe("IpAllowlist", () => {
  const list = new IpAllowlist(["203.0.113.9", "10.0.0.0/8", "2001:db8::/32", "::1"]);

  it("allows an address inside an IPv4 range or equal to an IPv4 entry", () => {
    expect(list.allows("10.200.3.4")).toBe(true);
    expect(list.allows("203.0.113.9")).toBe(true);
    expect(list.allows("203.0.113.10")).toBe(false);
    expect(list.allows("11.0.0.1")).toBe(false);
  });

  it("allows IPv6 addresses in an IPv6 range, in any spelling", () => {
    expect(list.allows("2001:db8:ffff::1")).toBe(true);
    expect(list.allows("2001:0db8:0000::0001")).toBe(true);
    expect(list.allows("0:0:0:0:0:0:0:1")).toBe(true);
    expect(list.allows("2001:db9::1")).toBe(false);
  });

  it("matches an IPv4-mapped IPv6 client address against the IPv4 entries", () => {
    expect(list.allows("::ffff:10.9.8.7")).toBe(true);
    expect(list.allows("::ffff:203.0.113.9")).toBe(true);
    expect(list.allows("::ffff:192.0.2.1")).toBe(false);
  });

  it("never allows an absent or unparseable address", () => {
    expect(list.allows(null)).toBe(false);
    expect(list.allows(undefined)).toBe(false);
    expect(list.allows("unknown")).toBe(false);
    expect(list.allows("10.0.0.1, 10.0.0.2")).toBe(false);
  });

  it("allows nothing when empty: an empty list means no allowlist, which the verifier decides before asking", () => {
    expect(new IpAllowlist([]).allows("10.0.0.1")).toBe(false);
  });
});

describe("normalizeClientIp", () => {
  it("shows mapped addresses as IPv4 and drops brackets and zone ids", () => {
    expect(normalizeClientIp("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(normalizeClientIp("[2001:db8::1]")).toBe("2001:db8::1");
    expect(normalizeClientIp("fe80::1%eth0")).toBe("fe80::1");
    expect(normalizeClientIp("nonsense")).toBeNull();
  });
});
