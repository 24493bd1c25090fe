// The headers every HTML page carries (DESIGN.md sections 14 and 15.7). Scripts run only with
// this response's nonce ('strict-dynamic' lets them load the bundles they import): an injected
// inline script has no nonce and does not run. Styles stay 'unsafe-inline' because React's
// style attributes and the chart library need it, and a style cannot run code.
export function pageSecurityHeaders(options: { nonce: string; dev: boolean; publicUrl: string | undefined }): Record<string, string> {
  const policy = [
    "default-src 'self'",
    // React in development rebuilds server error stacks with eval.
    `script-src 'self' 'nonce-${options.nonce}' 'strict-dynamic'${options.dev ? " 'unsafe-eval'" : ""}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "object-src 'none'",
  ].join("; ");
  const headers: Record<string, string> = { "Content-Security-Policy": policy };
  // Only an https deployment may promise browsers https for the next two years.
  if (options.publicUrl?.startsWith("https://")) headers["Strict-Transport-Security"] = "max-age=63072000";
  return headers;
}
