const relative = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
// Each unit until the next one reads better, counted after rounding: 59.9 minutes is "in 1 hour",
// not "in 60 minutes".
const STEPS: [Intl.RelativeTimeFormatUnit, number, number][] = [
  ["minute", 60_000, 60],
  ["hour", 3_600_000, 24],
  ["day", 86_400_000, 30],
  ["month", 30 * 86_400_000, 12],
  ["year", 365 * 86_400_000, Infinity],
];

export function relativeTime(date: Date, now = Date.now()): string {
  const diff = date.getTime() - now;
  if (Math.abs(diff) < 30_000) return "just now";
  for (const [unit, ms, limit] of STEPS) {
    const count = Math.round(diff / ms);
    if (Math.abs(count) < limit) return relative.format(count, unit);
  }
  return relative.format(Math.round(diff / (365 * 86_400_000)), "year");
}

/** A time shown relative to now, with the exact UTC time on hover and for assistive tech. */
export function Time({ date, empty = "never" }: { date: Date | string | null; empty?: string }) {
  if (!date) return <span className="text-zinc-500">{empty}</span>;
  const value = typeof date === "string" ? new Date(date) : date;
  const iso = value.toISOString();
  return (
    <time dateTime={iso} title={iso.replace("T", " ").slice(0, 19) + " UTC"}>
      {relativeTime(value)}
    </time>
  );
}
