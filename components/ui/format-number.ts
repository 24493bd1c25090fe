// The dashboard's one way of writing numbers: grouped thousands, English separators, at most
// `fractionDigits` decimals.
export function formatNumber(value: number, fractionDigits = 0): string {
  return value.toLocaleString("en", { maximumFractionDigits: fractionDigits });
}
