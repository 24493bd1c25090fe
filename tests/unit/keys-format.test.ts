import { createHash, randomBytes } from "node:crypto";

import { describe, expect, it } from "vitest";

import { generateKey, KEY_PATTERN, KEY_START_PATTERN, keyChecksum, keyStart, parseKey, redactKeys, type KeyEnvironment } from "../../lib/keys/format";
import { hashKey } from "../../lib/keys/hash";

// Written from DESIGN.md section 3 alone, sharing nothing with lib/keys/format.ts, so the tests
// check the documented format and not just that the code agrees with itself.
const ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const ENVIRONMENTS: KeyEnvironment[] = ["live", "test"];

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function referenceCrc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, "utf8")) crc = CRC_TABLE[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function referenceBase62(value: number): string {
  const digits: string[] = [];
  while (value > 0) {
    digits.unshift(ALPHABET[value % 62]!);
    value = Math.floor(value / 62);
  }
  return digits.join("").padStart(6, "0");
}

const secretOf = (key: string) => key.slice(8, 40);
const withCharAt = (s: string, i: number, c: string) => s.slice(0, i) + c + s.slice(i + 1);

describe("generateKey", () => {
  it.each(ENVIRONMENTS)("makes %s keys that match the published pattern and parse back", (env) => {
    for (let i = 0; i < 1_000; i++) {
      const key = generateKey(env);
      expect(key).toMatch(KEY_PATTERN);
      expect(key.startsWith(`kh_${env}_`)).toBe(true);
      expect(key).toHaveLength(46);
      expect(parseKey(key)).toEqual({ environment: env });
    }
  });

  it("publishes exactly the documented pattern", () => {
    expect(KEY_PATTERN.source).toBe("^kh_(live|test)_[0-9A-Za-z]{38}$");
    expect(KEY_PATTERN.flags).toBe("");
  });

  it("refuses an environment outside the contract instead of minting an unverifiable key", () => {
    expect(() => generateKey("prod" as KeyEnvironment)).toThrow(RangeError);
  });

  it("never repeats a key over 100,000 draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 100_000; i++) seen.add(secretOf(generateKey("live")));
    expect(seen.size).toBe(100_000);
  });
});

describe("secret characters are uniformly distributed", () => {
  const SECRETS = 200_000;
  // Chi-square critical value for 61 degrees of freedom at p = 0.0001 (scipy chi2.ppf): a correct
  // sampler fails this about once in 10,000 runs.
  const CRITICAL = 110.84;

  function chiSquare(counts: number[]): number {
    const total = counts.reduce((a, b) => a + b, 0);
    const expected = total / counts.length;
    return counts.reduce((sum, observed) => sum + (observed - expected) ** 2 / expected, 0);
  }

  it("passes a chi-square test over 200,000 secrets", () => {
    const counts = new Array<number>(62).fill(0);
    for (let i = 0; i < SECRETS; i++) {
      const key = generateKey(i % 2 === 0 ? "live" : "test");
      for (let j = 8; j < 40; j++) counts[ALPHABET.indexOf(key[j]!)]!++;
    }
    expect(counts.every((c) => c > 0)).toBe(true);
    expect(chiSquare(counts)).toBeLessThan(CRITICAL);
  }, 60_000);

  it("would catch `byte % 62` without rejection at the same sample size", () => {
    // Proves the test above has the power to see modulo bias: here 0-7 come up 5/256 of the time
    // and the rest 4/256, which lands far above the critical value.
    const counts = new Array<number>(62).fill(0);
    for (const byte of randomBytes(SECRETS * 32)) counts[byte % 62]!++;
    expect(chiSquare(counts)).toBeGreaterThan(CRITICAL * 10);
  });
});

describe("keyChecksum", () => {
  it("matches independently computed vectors", () => {
    // Pinned from Python's zlib.crc32, a third implementation.
    expect(referenceCrc32("123456789")).toBe(0xcbf43926);
    expect(referenceBase62(0xcbf43926)).toBe("3jZRME");

    expect(referenceCrc32("kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUV")).toBe(0x29eec011);
    expect(keyChecksum("kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUV")).toBe("0lbrlJ");
    expect(parseKey("kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUV0lbrlJ")).toEqual({ environment: "live" });

    expect(keyChecksum("kh_test_abcdefghijklmnopqrstuvwxyz012345")).toBe("34VbPH");
    expect(parseKey("kh_test_abcdefghijklmnopqrstuvwxyz01234534VbPH")).toEqual({ environment: "test" });
  });

  it("agrees with the reference on generated keys", () => {
    for (let i = 0; i < 2_000; i++) {
      const key = generateKey(i % 2 === 0 ? "live" : "test");
      expect(key.slice(40)).toBe(referenceBase62(referenceCrc32(key.slice(0, 40))));
    }
  });

  it("left-pads small checksums with zeros", () => {
    // A CRC below 62^4 needs two leading zeros; about 1 body in 300 has one.
    let body = "";
    for (let n = 0; ; n++) {
      body = `kh_live_${String(n).padStart(32, "0")}`;
      if (referenceCrc32(body) < 62 ** 4) break;
    }
    const check = keyChecksum(body);
    expect(check).toHaveLength(6);
    expect(check.startsWith("00")).toBe(true);
    expect(check).toBe(referenceBase62(referenceCrc32(body)));
    expect(parseKey(body + check)).toEqual({ environment: "live" });
  });
});

describe("parseKey", () => {
  it("rejects every single-character substitution at every position", () => {
    const keys = [generateKey("live"), generateKey("test"), "kh_live_0123456789ABCDEFGHIJKLMNOPQRSTUV0lbrlJ"];
    let tried = 0;
    for (const key of keys) {
      for (let i = 0; i < key.length; i++) {
        for (const c of ALPHABET) {
          if (c === key[i]) continue;
          tried++;
          const typo = withCharAt(key, i, c);
          if (parseKey(typo) !== null) throw new Error(`accepted ${typo} (position ${i})`);
        }
      }
    }
    // Guards against the loops silently doing nothing: 46 positions, 61 substitutes, or 62 at the
    // prefix positions that hold a non-alphabet "_".
    expect(tried).toBeGreaterThanOrEqual(keys.length * 46 * 61);
  });

  it("rejects swapped neighbours in the secret, the commonest transcription slip", () => {
    const key = generateKey("live");
    for (let i = 8; i < 39; i++) {
      if (key[i] === key[i + 1]) continue;
      const swapped = key.slice(0, i) + key[i + 1] + key[i] + key.slice(i + 2);
      expect(parseKey(swapped)).toBeNull();
    }
  });

  const valid = generateKey("live");
  const secret = secretOf(valid);
  const withValidCheck = (body: string) => body + keyChecksum(body);

  it.each([
    ["empty string", ""],
    ["wrong prefix", `kx_live_${secret}${valid.slice(40)}`],
    ["upper-case prefix", withValidCheck(`KH_live_${secret}`)],
    ["unknown environment with a correct checksum", withValidCheck(`kh_prod_${secret}`)],
    ["one character short", valid.slice(0, -1)],
    ["one character long", `${valid}0`],
    ["trailing newline", `${valid}\n`],
    ["leading space", ` ${valid}`],
    ["trailing space", `${valid} `],
    ["10 KB string", `kh_live_${"a".repeat(10 * 1024)}`],
    ["valid key followed by 10 KB", valid + "A".repeat(10 * 1024)],
    ["the bare prefix", "kh_live_"],
  ])("rejects %s", (_name, candidate) => {
    expect(parseKey(candidate)).toBeNull();
  });

  // Each substitute keeps the length at 46 and carries a checksum over its own UTF-8 bytes, so only
  // the character check can reject it. U+0141 has 0x41 ("A") as its low byte.
  it.each([
    ["Latin letter with a base62 low byte", "\u0141"],
    ["accented letter", "é"],
    ["Cyrillic look-alike of A", "\u0410"],
    ["full-width digit", "\uff10"],
    ["NUL", "\u0000"],
  ])("rejects a non-ASCII or control character (%s) even with a matching checksum", (_name, ch) => {
    const body = withCharAt(`kh_live_${secret}`, 20, ch);
    const candidate = withValidCheck(body);
    expect(candidate).toHaveLength(46);
    expect(parseKey(candidate)).toBeNull();
  });

  it("rejects non-ASCII in the checksum digits", () => {
    expect(parseKey(withCharAt(valid, 45, "\u0141"))).toBeNull();
  });
});

describe("keyStart", () => {
  it.each(ENVIRONMENTS)("is the first 12 characters of a %s key", (env) => {
    const key = generateKey(env);
    const start = keyStart(key);
    expect(start).toHaveLength(12);
    expect(key.startsWith(start)).toBe(true);
    expect(start).toMatch(new RegExp(`^kh_${env}_[0-9A-Za-z]{4}$`));
  });
});

describe("hashKey", () => {
  it("is SHA-256 of the whole key in lower-case hex", () => {
    // FIPS 180-2 test vector, so the algorithm is pinned independently of node's crypto.
    expect(hashKey("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    const key = generateKey("live");
    const hash = hashKey(key);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    expect(hash).toBe(createHash("sha256").update(key).digest("hex"));
  });

  it("is deterministic and differs between keys", () => {
    const a = generateKey("live");
    const b = generateKey("live");
    expect(hashKey(a)).toBe(hashKey(a));
    expect(hashKey(a)).not.toBe(hashKey(b));
    // The environment is part of the hashed key: a test key never collides with its live twin.
    expect(hashKey(a)).not.toBe(hashKey(a.replace("kh_live_", "kh_test_")));
  });
});

describe("redactKeys", () => {
  it("removes every key from a text, and enough of a cut-off key to matter, keeping only its environment", () => {
    const live = generateKey("live");
    const test = generateKey("test");
    expect(redactKeys(`/a/${live}/b?x=${test}`)).toBe("/a/kh_live_[redacted]/b?x=kh_test_[redacted]");
    expect(redactKeys(`pasted ${live.slice(0, 30)}`)).toBe("pasted kh_live_[redacted]");
  });

  it("leaves a key start, which is no secret and is how people name keys, and text without keys", () => {
    const start = keyStart(generateKey("live"));
    expect(start).toMatch(KEY_START_PATTERN);
    expect(redactKeys(`revoke ${start}`)).toBe(`revoke ${start}`);
    expect(redactKeys("kh_prod_0123456789abcdef")).toBe("kh_prod_0123456789abcdef");
  });
});
