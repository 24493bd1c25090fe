"use client";

import { createContext, useContext } from "react";

import { DEFAULT_LOCALE } from "@/lib/locale/viewer-locale";

const LocaleContext = createContext(DEFAULT_LOCALE);

/**
 * Hands the viewer's locale, read from the request on the server, to every component below:
 * server and browser then format alike, so hydration never sees two spellings of a number.
 */
export function LocaleProvider({ locale, children }: { locale: string; children: React.ReactNode }) {
  return <LocaleContext value={locale}>{children}</LocaleContext>;
}

export function useLocale(): string {
  return useContext(LocaleContext);
}
