import { describe, expect, it } from "vitest";
import { CLIENT_IP_HEADER, clientIp } from "../../lib/api/client-ip";

// DESIGN.md section 14: the socket address, unless KEYHOLD_TRUST_PROXY says how many proxies
// in front of us append to X-Forwarded-For.
function request(socket: string | null, forwardedFor?: string | string[]): Headers {
  const headers = new Headers();
  if (socket !== null) headers.set(CLIENT_IP_HEADER, socket);
  for (const value of [forwardedFor ?? []].flat()) headers.append("X-Forwarded-For", value);
  return headers;
}

describe("clientIp", () => {
  it("uses the header our own server sets", () => {
    expect(CLIENT_IP_HEADER).toBe("x-keyhold-socket-ip");
  });

  it("is the socket address when no proxy is trusted, ignoring a spoofed X-Forwarded-For", () => {
    expect(clientIp(request("203.0.113.9", "1.2.3.4"), 0)).toBe("203.0.113.9");
    expect(clientIp(request("203.0.113.9", "1.2.3.4, 5.6.7.8"), 0)).toBe("203.0.113.9");
  });

  it("with one trusted proxy, takes the last X-Forwarded-For hop (the one the proxy appended)", () => {
    expect(clientIp(request("10.0.0.2", "198.51.100.7"), 1)).toBe("198.51.100.7");
    // A client-sent value in front of the proxy's entry is ignored.
    expect(clientIp(request("10.0.0.2", "6.6.6.6, 198.51.100.7"), 1)).toBe("198.51.100.7");
  });

  it("with two trusted proxies, takes the hop before the last", () => {
    expect(clientIp(request("10.0.0.3", "6.6.6.6, 198.51.100.7, 10.0.0.2"), 2)).toBe("198.51.100.7");
  });

  it("trims spaces around hops", () => {
    expect(clientIp(request("10.0.0.2", "  6.6.6.6 ,   198.51.100.7  "), 1)).toBe("198.51.100.7");
  });

  it("skips empty hops rather than answering an empty address", () => {
    expect(clientIp(request("10.0.0.3", "6.6.6.6,,198.51.100.7"), 2)).toBe("6.6.6.6");
    expect(clientIp(request("10.0.0.2", "198.51.100.7, "), 1)).toBe("198.51.100.7");
  });

  it("reads several X-Forwarded-For header lines as one list", () => {
    expect(clientIp(request("10.0.0.2", ["6.6.6.6", "198.51.100.7"]), 1)).toBe("198.51.100.7");
  });

  it("takes the first hop when there are fewer hops than trusted proxies", () => {
    expect(clientIp(request("10.0.0.3", "198.51.100.7"), 3)).toBe("198.51.100.7");
    expect(clientIp(request("10.0.0.3", "198.51.100.7, 10.0.0.2"), 5)).toBe("198.51.100.7");
  });

  it("falls back to the socket address when a proxy is trusted but sent no X-Forwarded-For", () => {
    expect(clientIp(request("203.0.113.9"), 1)).toBe("203.0.113.9");
    expect(clientIp(request("203.0.113.9", ""), 2)).toBe("203.0.113.9");
  });

  it("strips the ::ffff: prefix of IPv4-mapped addresses, from the socket and from hops", () => {
    expect(clientIp(request("::ffff:203.0.113.9"), 0)).toBe("203.0.113.9");
    expect(clientIp(request("::ffff:10.0.0.2", "::ffff:198.51.100.7"), 1)).toBe("198.51.100.7");
  });

  it("keeps plain IPv6 addresses as they are", () => {
    expect(clientIp(request("2001:db8::1"), 0)).toBe("2001:db8::1");
    expect(clientIp(request("::1", "2001:db8::7"), 1)).toBe("2001:db8::7");
  });

  it("is null without the socket header, whatever X-Forwarded-For says", () => {
    expect(clientIp(request(null), 0)).toBeNull();
    expect(clientIp(request(null, "1.2.3.4"), 0)).toBeNull();
    expect(clientIp(request(null, "1.2.3.4"), 1)).toBeNull();
  });
});
