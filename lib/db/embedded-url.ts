import { tmpdir } from "node:os";
import path from "node:path";

// Apart from embedded.ts so that a client can tell the embedded database by its address
// without loading PGlite.

/** The embedded database's socket folder is made with this prefix in the system's temporary folder. */
export const EMBEDDED_SOCKET_PREFIX = path.join(tmpdir(), "keyhold-db-");

/** The connection string of the embedded database: its socket folder, never a host. */
export function embeddedUrl(socketDir: string): string {
  // The host name is a placeholder that URL validation accepts; `host=` names the socket folder.
  return `postgresql://postgres@localhost/postgres?host=${encodeURIComponent(socketDir)}&sslmode=disable`;
}

export function isEmbeddedUrl(connectionString: string): boolean {
  try {
    return new URL(connectionString).searchParams.get("host")?.startsWith(EMBEDDED_SOCKET_PREFIX) ?? false;
  } catch {
    return false;
  }
}
