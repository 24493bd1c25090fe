// Epoch milliseconds as `2026-12-02T20:31:43.123Z`, for what is written once per request (the
// log line's time, each usage event's). Next replaces the global Date with a wrapper that tracks
// clock reads for prerendering, which makes `new Date(ms).toISOString()` cost about 2 µs: more
// than the rest of a log line. The text up to the second is kept and only the milliseconds are
// written per call.

// Years 1970..9999 have the fixed 24-character form; anything else goes through Date.
const MAX_FIXED_MS = 253_402_300_799_999;

let cachedSecond = Number.NaN;
let cachedPrefix = "";

export function isoTimestamp(ms: number): string {
  if (!(ms >= 0 && ms <= MAX_FIXED_MS) || !Number.isInteger(ms)) return new Date(ms).toISOString();
  const second = Math.floor(ms / 1000);
  if (second !== cachedSecond) {
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 20);
    cachedSecond = second;
  }
  const millis = ms - second * 1000;
  return `${cachedPrefix}${millis < 10 ? "00" : millis < 100 ? "0" : ""}${millis}Z`;
}
