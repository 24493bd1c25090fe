import { createReadStream } from "node:fs";
import { open, stat } from "node:fs/promises";
import { createInterface } from "node:readline";

import pg from "pg";

// Restores a plain-SQL backup (lib/db/backup.ts, or any pg_dump without COPY blocks) into an
// empty database, all in one transaction: it either all arrives or nothing changes. Works the
// same on PostgreSQL and on the embedded database, both reached through their connection URL.

export interface RestoreTarget {
  url: string;
  /** How messages name the target, e.g. "the embedded database in .data/pglite". */
  label: string;
}

export interface RestoreOptions {
  /** Called once the target is known to be empty, before the first statement. */
  onStart?(bytes: number): void;
  onProgress?(bytesRead: number, bytes: number): void;
  /** Aborting rolls back after the statements in flight; nothing is restored. */
  signal?: AbortSignal;
}

/** Row counts of the restored main tables, by table name. */
export type RestoredCounts = Record<(typeof COUNTED_TABLES)[number], number>;

/** A problem the person restoring can fix; nothing was changed. */
export class RestoreError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "RestoreError";
  }
}

const COUNTED_TABLES = ["api_keys", "users", "usage_events", "usage_rollups", "audit_logs"] as const;

// The lock `prisma migrate deploy` and lib/db/migrate.ts take: a server starting on this
// database meanwhile waits, then finds every migration applied instead of racing the restore.
const PRISMA_ADVISORY_LOCK = 72707369;

// Statements go to the server in batches of about this many characters: few round trips, and
// no single query string so large it strains the server or PGlite's Wasm memory.
const BATCH_CHARS = 1 << 20;

export async function restoreDatabase(target: RestoreTarget, file: string, options: RestoreOptions = {}): Promise<RestoredCounts> {
  const bytes = await checkBackupFile(file);
  const client = new pg.Client({ connectionString: target.url, connectionTimeoutMillis: 10_000 });
  // A connection lost between queries is reported by the next query; unheard, it would crash.
  client.on("error", () => undefined);
  await client.connect();
  const input = createReadStream(file, { encoding: "utf8" });
  try {
    await client.query("BEGIN");
    await client.query("SELECT pg_advisory_xact_lock($1)", [PRISMA_ADVISORY_LOCK]);
    const { rows: tables } = await client.query<{ tablename: string }>(
      // Partitions (usage_events' days) are part of their parent, not tables of their own to a reader.
      `SELECT tablename FROM pg_catalog.pg_tables t
       WHERE schemaname = 'public' AND NOT (SELECT relispartition FROM pg_class WHERE oid = format('%I.%I', t.schemaname, t.tablename)::regclass)
       ORDER BY tablename`,
    );
    if (tables.length > 0) {
      const names =
        tables
          .slice(0, 3)
          .map((table) => table.tablename)
          .join(", ") + (tables.length > 3 ? ", ..." : "");
      throw new RestoreError(
        `${target.label} is not empty: it has ${tables.length} table${tables.length === 1 ? "" : "s"} (${names}). Restore only into an empty database; nothing changed.`,
      );
    }
    const { rows: settings } = await client.query<{ name: string }>("SELECT name FROM pg_catalog.pg_settings");
    const known = new Set(settings.map((setting) => setting.name));
    options.onStart?.(bytes);

    let batch = "";
    let batchLine = 1;
    const send = async () => {
      try {
        await client.query(batch);
      } catch (error) {
        throw new Error(`${file}, ${failedAt(error, batch, batchLine)}: ${error instanceof Error ? error.message : String(error)}; nothing was restored`);
      }
      batchLine += newlines(batch);
      batch = "";
      options.onProgress?.(input.bytesRead, bytes);
      options.signal?.throwIfAborted();
    };
    for await (const statement of statements(createInterface({ input, crlfDelay: Infinity }))) {
      const setting = SET_STATEMENT.exec(statement)?.[1]?.toLowerCase();
      // Left out, it still counts its lines, so error messages point at the right line.
      batch += setting === undefined || known.has(setting) ? statement : "\n".repeat(newlines(statement));
      // The server parses a whole query string before it runs any of it, and a setting such as
      // standard_conforming_strings changes how the statements after it are read.
      if (batch.length >= BATCH_CHARS || setting !== undefined) await send();
    }
    if (batch.trim() !== "") await send();

    const { rows: missing } = await client.query<{ name: string }>(
      `SELECT name FROM unnest(ARRAY['_prisma_migrations', 'api_keys']) AS name WHERE to_regclass('public.' || quote_ident(name)) IS NULL`,
    );
    if (missing.length > 0) {
      throw new RestoreError(`${file} is not a Keyhold backup (it makes no ${missing[0].name} table); nothing was restored.`);
    }
    const { rows } = await client.query<{ counts: RestoredCounts }>(
      `SELECT json_build_object(${COUNTED_TABLES.map((table) => `'${table}', (SELECT count(*) FROM public.${table})`).join(", ")}) AS counts`,
    );
    await client.query("COMMIT");
    return rows[0].counts;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  } finally {
    input.destroy();
    await client.end().catch(() => undefined);
  }
}

/** The file's size, once it is known to be a file that is not a pg_dump archive. */
async function checkBackupFile(file: string): Promise<number> {
  let info;
  try {
    info = await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") throw new RestoreError(`${file} does not exist.`);
    throw error;
  }
  if (!info.isFile()) throw new RestoreError(`${file} is not a file.`);
  const handle = await open(file, "r");
  const head = Buffer.alloc(5);
  try {
    await handle.read(head, 0, 5, 0);
  } finally {
    await handle.close();
  }
  if (head.toString("latin1") === "PGDMP") {
    throw new RestoreError(
      `${file} is a pg_dump archive (custom or tar format): restore it with pg_restore, or make a plain SQL backup with npm run db:backup.`,
    );
  }
  return info.size;
}

// A dump made by a newer pg_dump first sets options an older server lacks (transaction_timeout,
// PostgreSQL 17+); where the option does not exist, neither does what it guards against.
const SET_STATEMENT = /^(?:\s|--[^\n]*\n)*SET\s+([a-z_]+)\s*(?:=|\sTO\s)/i;

function failedAt(error: unknown, batch: string, batchLine: number): string {
  const position = Number((error as { position?: string }).position);
  // The server counts characters; a string counts UTF-16 units, two for each emoji.
  if (position > 0) return `line ${batchLine + newlines([...batch].slice(0, position - 1).join(""))}`;
  return `lines ${batchLine}-${batchLine + newlines(batch)}`;
}

function newlines(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

type Mode = "code" | "string" | "escape-string" | "identifier" | "dollar" | "comment";

const DOLLAR_QUOTE = /\$(?:[A-Za-z_\u0080-\uffff][\w\u0080-\uffff]*)?\$/y;

/**
 * Splits a SQL script into statements the way psql reads it, each with the comments and line
 * breaks before it: a semicolon ends a statement only outside quotes and comments, and a line
 * that starts with a backslash there is a psql meta-command (pg_dump's \restrict), which no
 * server can run. Line by line, so a dump of any size streams through. Quotes inside '...' are
 * always doubled in pg_dump's output, also with standard_conforming_strings off, so a backslash
 * never ends or continues one.
 */
async function* statements(lines: AsyncIterable<string>): AsyncGenerator<string> {
  let mode: Mode = "code";
  let dollarTag = "";
  let depth = 0;
  let pending = "";
  for await (const line of lines) {
    if (mode === "code" && line.startsWith("\\")) {
      pending += "\n";
      continue;
    }
    const text = `${line}\n`;
    let from = 0;
    scan: for (let i = 0; i < text.length; i++) {
      switch (mode) {
        case "code": {
          const char = text[i];
          if (char === ";") {
            yield pending + text.slice(from, i + 1);
            pending = "";
            from = i + 1;
          } else if (char === "'") {
            // E'...' strings take backslash escapes; pg_dump writes them with standard_conforming_strings off.
            mode = /[eE]/.test(text[i - 1] ?? "") && !isWordChar(text[i - 2]) ? "escape-string" : "string";
          } else if (char === '"') {
            mode = "identifier";
          } else if (char === "-" && text[i + 1] === "-") {
            break scan;
          } else if (char === "/" && text[i + 1] === "*") {
            mode = "comment";
            depth = 1;
            i++;
          } else if (char === "$" && !isWordChar(text[i - 1])) {
            DOLLAR_QUOTE.lastIndex = i;
            const tag = DOLLAR_QUOTE.exec(text)?.[0];
            if (tag) {
              mode = "dollar";
              dollarTag = tag;
              i += tag.length - 1;
            }
          }
          break;
        }
        case "string":
        case "identifier": {
          const quote = mode === "string" ? "'" : '"';
          const end = text.indexOf(quote, i);
          if (end === -1) break scan;
          // A doubled quote is one quote inside the literal.
          if (text[end + 1] === quote) i = end + 1;
          else {
            mode = "code";
            i = end;
          }
          break;
        }
        case "escape-string": {
          const char = text[i];
          if (char === "\\") i++;
          else if (char === "'") {
            if (text[i + 1] === "'") i++;
            else mode = "code";
          }
          break;
        }
        case "dollar": {
          const end = text.indexOf(dollarTag, i);
          if (end === -1) break scan;
          mode = "code";
          i = end + dollarTag.length - 1;
          break;
        }
        case "comment": {
          if (text[i] === "/" && text[i + 1] === "*") {
            depth++;
            i++;
          } else if (text[i] === "*" && text[i + 1] === "/") {
            depth--;
            i++;
            if (depth === 0) mode = "code";
          }
          break;
        }
      }
    }
    pending += text.slice(from);
  }
  if (pending.trim() !== "") yield pending;
}

function isWordChar(char: string | undefined): boolean {
  return char !== undefined && /[\w$\u0080-\uffff]/.test(char);
}
