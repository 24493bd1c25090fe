// Where a contract's handler lives: its path under app/, with `{param}` written as Next's `[param]`.
export function routeFileOf(path: string): string {
  return `app${path.replace(/\{(\w+)\}/g, "[$1]")}/route.ts`;
}
