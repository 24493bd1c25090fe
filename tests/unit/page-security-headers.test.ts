import { describe, expect, it } from "vitest";

import { pageSecurityHeaders } from "../../lib/server/page-security-headers";

// DESIGN.md section 15.7: the CSP uses nonces, with no 'unsafe-inline' scripts; HSTS only when
// NEXTAUTH_URL is https.

function directive(policy: string, name: string): string[] {
  const found = policy
    .split(";")
    .map((part) => part.trim().split(/\s+/))
    .find(([first]) => first === name);
  return found ? found.slice(1) : [];
}

describe("pageSecurityHeaders", () => {
  it("lets scripts run only with this response's nonce", () => {
    const policy = pageSecurityHeaders({ nonce: "abc123==", dev: false, publicUrl: undefined })["Content-Security-Policy"]!;
    const scripts = directive(policy, "script-src");
    expect(scripts).toContain("'nonce-abc123=='");
    expect(scripts).not.toContain("'unsafe-inline'");
    expect(scripts).not.toContain("'unsafe-eval'");
    expect(directive(policy, "frame-ancestors")).toEqual(["'none'"]);
    expect(directive(policy, "object-src")).toEqual(["'none'"]);
  });

  it("allows eval only in development, where React needs it", () => {
    const policy = pageSecurityHeaders({ nonce: "n", dev: true, publicUrl: undefined })["Content-Security-Policy"]!;
    expect(directive(policy, "script-src")).toContain("'unsafe-eval'");
    expect(directive(policy, "script-src")).not.toContain("'unsafe-inline'");
  });

  it("sends HSTS when the public URL is https, and not otherwise", () => {
    expect(pageSecurityHeaders({ nonce: "n", dev: false, publicUrl: "https://keys.example.com" })["Strict-Transport-Security"]).toMatch(/^max-age=\d{7,}/);
    expect(pageSecurityHeaders({ nonce: "n", dev: false, publicUrl: "http://localhost:3000" })).not.toHaveProperty("Strict-Transport-Security");
    expect(pageSecurityHeaders({ nonce: "n", dev: false, publicUrl: undefined })).not.toHaveProperty("Strict-Transport-Security");
  });
});
