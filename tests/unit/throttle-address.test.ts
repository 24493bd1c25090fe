import { describe, expect, it } from "vitest";

import { InvalidKeyThrottle } from "../../lib/ratelimit/invalid-key-throttle";
import { throttleAddress } from "../../lib/ratelimit/throttle-address";

// DESIGN.md section 15.7: throttles group IPv6 clients by /64. One subscriber holds a whole /64,
// so counting each address alone let one attacker send unlimited invalid keys.

describe("throttleAddress", () => {
  it("counts every address of one IPv6 /64 as one, however it is written", () => {
    const addresses = ["2001:db8:1:2::1", "2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:0db8:0001:0002:abcd::9", "2001:DB8:1:2::7"];
    expect(new Set(addresses.map(throttleAddress))).toEqual(new Set(["2001:db8:1:2::/64"]));
    expect(throttleAddress("2001:db8:1:3::1")).toBe("2001:db8:1:3::/64");
    expect(throttleAddress("::1")).toBe("0:0:0:0::/64");
  });

  it("keeps IPv4 addresses apart, IPv4-mapped ones included", () => {
    expect(throttleAddress("198.51.100.7")).toBe("198.51.100.7");
    expect(throttleAddress("::ffff:198.51.100.7")).toBe("198.51.100.7");
    expect(throttleAddress("198.51.100.8")).toBe("198.51.100.8");
  });

  it("puts what is not an address under one name", () => {
    expect(throttleAddress(null)).toBe("unknown");
    expect(throttleAddress("not-an-ip")).toBe("unknown");
  });

  it("lets the invalid-key throttle block a whole /64 once it sent the limit from fresh addresses", () => {
    const throttle = new InvalidKeyThrottle(20);
    for (let i = 1; i <= 20; i++) throttle.recordInvalid(throttleAddress(`2001:db8:1:2::${i.toString(16)}`));
    expect(throttle.blockedFor(throttleAddress("2001:db8:1:2::beef"))).toBeGreaterThan(0);
    expect(throttle.blockedFor(throttleAddress("2001:db8:1:3::1"))).toBe(0);
  });
});
