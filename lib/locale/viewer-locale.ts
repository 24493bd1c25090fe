// A language tag as RFC 5646 allows it, kept short: the header is the viewer's to write, and
// anything else is ignored rather than handed to Intl.
const TAG = /^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8}){0,4}$/;
const MAX_HEADER = 512;
export const DEFAULT_LOCALE = "en";

/**
 * The locale to format numbers in for a request's Accept-Language header: the most preferred
 * tag that Intl supports here, else English. Server components render before the browser runs,
 * so the header is the one place they learn the viewer's language.
 */
export function viewerLocale(acceptLanguage: string | null | undefined): string {
  if (!acceptLanguage || acceptLanguage.length > MAX_HEADER) return DEFAULT_LOCALE;
  const ranked = acceptLanguage
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((param) => /^\s*q=([01](\.\d{0,3})?)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter((entry) => entry.q > 0 && TAG.test(entry.tag))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // A well-formed but invalid tag (a bad subtag): try the next one.
    }
  }
  return DEFAULT_LOCALE;
}
