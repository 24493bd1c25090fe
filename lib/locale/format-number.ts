const formatters = new Map<string, Intl.NumberFormat>();

/**
 * Every count and figure the dashboard shows, in the viewer's locale: tables, cards, chart axes
 * and tooltips all go through here, so 47058 never sits next to 1,000,002.
 */
export function formatNumber(value: number, locale: string): string {
  let formatter = formatters.get(locale);
  if (!formatter) {
    formatter = new Intl.NumberFormat(locale, { maximumFractionDigits: 1 });
    formatters.set(locale, formatter);
  }
  return formatter.format(value);
}
