import { describe, expect, it } from "vitest";

import { formatNumber } from "../../lib/locale/format-number";
import { viewerLocale } from "../../lib/locale/viewer-locale";

describe("viewerLocale", () => {
  it("takes the viewer's first language", () => {
    expect(viewerLocale("de-DE,de;q=0.9,en;q=0.8")).toBe("de-DE");
  });

  it("ranks by q, whatever the order", () => {
    expect(viewerLocale("en;q=0.5, fr-FR;q=0.9, de;q=0.7")).toBe("fr-FR");
  });

  it("keeps the header's order between equal weights", () => {
    expect(viewerLocale("hi-IN, en-US")).toBe("hi-IN");
  });

  it("skips the wildcard, refused languages and malformed tags", () => {
    expect(viewerLocale("*, de;q=0, x<script>, fr;q=0.4")).toBe("fr");
  });

  it("falls back to English without a header, with only junk, or with an oversized header", () => {
    expect(viewerLocale(null)).toBe("en");
    expect(viewerLocale("")).toBe("en");
    expect(viewerLocale(";;;,,")).toBe("en");
    expect(viewerLocale(`de,${"x".repeat(600)}`)).toBe("en");
  });

  it("passes over tags Intl refuses or does not know, without throwing", () => {
    expect(viewerLocale("en-US-US, de-1, zz-ZZ, de")).toBe("de");
  });
});

describe("formatNumber", () => {
  it("groups thousands in the viewer's locale", () => {
    expect(formatNumber(1_000_002, "en-US")).toBe("1,000,002");
    expect(formatNumber(47_058, "de-DE")).toBe("47.058");
    expect(formatNumber(1_000_002, "hi-IN")).toBe("10,00,002");
  });

  it("leaves small numbers and zero alone", () => {
    expect(formatNumber(0, "en")).toBe("0");
    expect(formatNumber(999, "de")).toBe("999");
  });

  it("shows a fraction (seconds of a window) to one digit", () => {
    expect(formatNumber(1.5, "en")).toBe("1.5");
    expect(formatNumber(1.5, "de")).toBe("1,5");
  });
});
