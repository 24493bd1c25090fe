import type { Metadata } from "next";

import { ApiReference } from "@/components/docs/api-reference";

export const metadata: Metadata = { title: "API reference" };

// GET /docs/api - the interactive reference of /api/openapi.json; public, like the document
export default function ApiReferencePage() {
  return <ApiReference documentUrl="/api/openapi.json" />;
}
