import { readFile } from "node:fs/promises";
import path from "node:path";

// Read once at build time and served as a static file: the reference page loads Scalar from our
// own origin, never a CDN, and the running server needs no node_modules for it.
export const dynamic = "force-static";

// GET /docs/api/scalar.js - the browser bundle of @scalar/api-reference
export async function GET() {
  const bundle = await readFile(path.join(process.cwd(), "node_modules/@scalar/api-reference/dist/browser/standalone.js"));
  return new Response(bundle, { headers: { "Content-Type": "text/javascript; charset=utf-8" } });
}
