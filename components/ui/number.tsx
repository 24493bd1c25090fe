"use client";

import { formatNumber } from "@/lib/locale/format-number";

import { useLocale } from "./locale-context";

/** A count or figure in the viewer's locale; usable from server components too. */
export function Num({ value }: { value: number }) {
  return <span className="tabular-nums">{formatNumber(value, useLocale())}</span>;
}
