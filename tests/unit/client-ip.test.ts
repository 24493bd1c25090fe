import { describe, expect, it } from "vitest";

import { CLIENT_IP_HEADER, clientIp } from "../../lib/api/client-ip";
import { parseEnv } from "../../lib/env";
import type { IpRange } from "../../lib/net/ip-range";

// DESIGN.md section 15.7: the socket address; X-Forwarded-For only when the socket address is
// one of KEYHOLD_TRUSTED_PROXIES, walking back past every trusted proxy.
function request(socket: string | null, forwardedFor?: string | string[]): Headers {
  const headers = new Headers();
  if (socket !== null) headers.set(CLIENT_IP_HEADER, socket);
  for (const value of [forwardedFor ?? []].flat()) headers.append("X-Forwarded-For", value);
  return headers;
}

function trusted(list: string): IpRange[] {
  return parseEnv({ KEYHOLD_TRUSTED_PROXIES: list }).KEYHOLD_TRUSTED_PROXIES;
}

const NONE: IpRange[] = [];
const NGINX = trusted("10.0.0.2");
const PRIVATE = trusted("10.0.0.0/8, 127.0.0.1, ::1");

describe("clientIp", () => {
  it("uses the header our own server sets", () => {
    expect(CLIENT_IP_HEADER).toBe("x-keyhold-socket-ip");
  });

  it("is the socket address when no proxy is trusted, ignoring a spoofed X-Forwarded-For", () => {
    expect(clientIp(request("203.0.113.9", "1.2.3.4"), NONE)).toBe("203.0.113.9");
    expect(clientIp(request("203.0.113.9", "1.2.3.4, 5.6.7.8"), NONE)).toBe("203.0.113.9");
  });

  it("ignores X-Forwarded-For from a client that reached the instance directly, even with proxies configured", () => {
    // The attack of issue 13 item 5: with hop counting, this client chose its own address.
    expect(clientIp(request("203.0.113.9", "1.2.3.4"), NGINX)).toBe("203.0.113.9");
    expect(clientIp(request("203.0.113.9", "10.0.0.2, 1.2.3.4"), PRIVATE)).toBe("203.0.113.9");
  });

  it("behind a trusted proxy, takes the last X-Forwarded-For hop (the one the proxy appended)", () => {
    expect(clientIp(request("10.0.0.2", "198.51.100.7"), NGINX)).toBe("198.51.100.7");
    // A client-sent value in front of the proxy's entry is ignored.
    expect(clientIp(request("10.0.0.2", "6.6.6.6, 198.51.100.7"), NGINX)).toBe("198.51.100.7");
  });

  it("walks back past every trusted proxy in a chain, and stops at the first untrusted hop", () => {
    expect(clientIp(request("10.0.0.3", "6.6.6.6, 198.51.100.7, 10.0.0.2"), PRIVATE)).toBe("198.51.100.7");
    expect(clientIp(request("10.0.0.3", "10.0.0.9, 10.0.0.2"), PRIVATE)).toBe("10.0.0.9");
  });

  it("trims spaces, skips empty hops and reads several header lines as one list", () => {
    expect(clientIp(request("10.0.0.2", "  6.6.6.6 ,   198.51.100.7  "), NGINX)).toBe("198.51.100.7");
    expect(clientIp(request("10.0.0.2", "198.51.100.7, "), NGINX)).toBe("198.51.100.7");
    expect(clientIp(request("10.0.0.2", ["6.6.6.6", "198.51.100.7"]), NGINX)).toBe("198.51.100.7");
  });

  it("never answers a hop that is not an address: the walk ends at the proxy that wrote it", () => {
    expect(clientIp(request("10.0.0.2", "<script>"), NGINX)).toBe("10.0.0.2");
    expect(clientIp(request("10.0.0.3", "198.51.100.7, unknown, 10.0.0.2"), PRIVATE)).toBe("10.0.0.2");
  });

  it("falls back to the socket address when a trusted proxy sent no X-Forwarded-For", () => {
    expect(clientIp(request("10.0.0.2"), NGINX)).toBe("10.0.0.2");
    expect(clientIp(request("10.0.0.2", ""), NGINX)).toBe("10.0.0.2");
  });

  it("treats IPv4-mapped addresses as IPv4, from the socket, from hops and in the trusted list", () => {
    expect(clientIp(request("::ffff:203.0.113.9"), NONE)).toBe("203.0.113.9");
    expect(clientIp(request("::ffff:10.0.0.2", "::ffff:198.51.100.7"), NGINX)).toBe("198.51.100.7");
    expect(clientIp(request("10.0.0.2", "198.51.100.7"), trusted("::ffff:10.0.0.2"))).toBe("198.51.100.7");
  });

  it("handles IPv6 sockets, hops and ranges", () => {
    expect(clientIp(request("2001:db8::1"), NONE)).toBe("2001:db8::1");
    expect(clientIp(request("::1", "2001:db8::7"), PRIVATE)).toBe("2001:db8::7");
    expect(clientIp(request("fd00::5", "2001:db8::7"), trusted("fd00::/8"))).toBe("2001:db8::7");
  });

  it("is null without the socket header, whatever X-Forwarded-For says", () => {
    expect(clientIp(request(null), NONE)).toBeNull();
    expect(clientIp(request(null, "1.2.3.4"), PRIVATE)).toBeNull();
  });
});
