import { readFileSync } from "node:fs";
import path from "node:path";

import wasm from "@prisma/prisma-schema-wasm";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { migrate } from "../../lib/db/migrate";
import { createTestDatabase, type TestDatabase } from "../helpers/test-database";

// DESIGN.md section 10: the migrations are written by hand or by a Wasm `migrate diff`, never
// checked by Prisma's migration engine, so this test is what proves they build exactly the
// schema that schema.prisma describes. Both sides are reduced to sorted one-line descriptions,
// so a failure lists the exact objects that differ.

const SCHEMA_FILE = path.resolve(import.meta.dirname, "../../prisma/schema.prisma");
const MIGRATIONS_DIR = path.resolve(import.meta.dirname, "../../prisma/migrations");

const CATEGORIES = ["tables", "columns", "enums", "indexes", "foreignKeys"] as const;
type Category = (typeof CATEGORIES)[number];
type SchemaDescription = Record<Category, string[]>;

// --- schema.prisma, through Prisma's own parser -------------------------------------------

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "enum" | "object" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  nativeType?: [string, string[]] | null;
  relationFromFields?: string[];
  relationToFields?: string[];
  relationOnDelete?: string;
  relationOnUpdate?: string;
}

interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
}

interface DmmfEnum {
  name: string;
  dbName?: string | null;
  values: { name: string; dbName: string | null }[];
}

interface DmmfIndex {
  model: string;
  type: "id" | "unique" | "normal" | "fulltext";
  fields: { name: string; sortOrder?: "asc" | "desc" }[];
  algorithm?: string;
}

interface Datamodel {
  models: DmmfModel[];
  enums: DmmfEnum[];
  indexes: DmmfIndex[];
}

function loadDatamodel(): Datamodel {
  const params = { prismaSchema: [["schema.prisma", readFileSync(SCHEMA_FILE, "utf8")]], noColor: true };
  return (JSON.parse(wasm.get_dmmf(JSON.stringify(params))) as { datamodel: Datamodel }).datamodel;
}

const tableName = (model: DmmfModel) => model.dbName ?? model.name;
const columnName = (field: DmmfField) => field.dbName ?? field.name;
const enumName = (dmmfEnum: DmmfEnum) => dmmfEnum.dbName ?? dmmfEnum.name;

// Prisma's referential actions, spelled as PostgreSQL reports them.
const REFERENTIAL_ACTIONS: Record<string, string> = {
  Cascade: "CASCADE",
  Restrict: "RESTRICT",
  NoAction: "NO ACTION",
  SetNull: "SET NULL",
  SetDefault: "SET DEFAULT",
};

// Type names as information_schema reports them, with precision or length where one applies.
// Anything not listed fails loudly so a new kind of column gets a deliberate mapping here.
function expectedBaseType(model: DmmfModel, field: DmmfField, enums: DmmfEnum[]): string {
  if (field.kind === "enum") {
    const dmmfEnum = enums.find((candidate) => candidate.name === field.type);
    if (!dmmfEnum) throw new Error(`${model.name}.${field.name}: unknown enum ${field.type}`);
    return `USER-DEFINED ${enumName(dmmfEnum)}`;
  }
  const [native, args = []] = field.nativeType ?? [null, []];
  switch (`${field.type}:${native ?? ""}`) {
    case "String:":
    case "String:Text":
      return "text";
    case "String:VarChar":
      return args[0] ? `character varying(${args[0]})` : "character varying";
    case "Int:":
    case "Int:Integer":
      return "integer";
    case "BigInt:":
    case "BigInt:BigInt":
      return "bigint";
    case "Float:":
    case "Float:DoublePrecision":
      return "double precision";
    case "Float:Real":
      return "real";
    case "Boolean:":
    case "Boolean:Boolean":
      return "boolean";
    case "Json:":
    case "Json:JsonB":
      return "jsonb";
    case "Json:Json":
      return "json";
    // Prisma's DateTime is timestamp(3) unless a native type says otherwise; a native type
    // without a precision gets PostgreSQL's default of 6.
    case "DateTime:":
      return "timestamp without time zone(3)";
    case "DateTime:Timestamp":
      return `timestamp without time zone(${args[0] ?? "6"})`;
    case "DateTime:Timestamptz":
      return `timestamp with time zone(${args[0] ?? "6"})`;
    default:
      throw new Error(`${model.name}.${field.name}: teach schema-drift.test.ts the column type of ${field.type} @db.${native}`);
  }
}

function describeIndex(table: string, kind: string, columns: string[], method: string, extra = ""): string {
  return `${table}: ${kind} (${columns.join(", ")}) using ${method}${extra}`;
}

function describeForeignKey(table: string, columns: string[], target: string, targetColumns: string[], onDelete: string, onUpdate: string) {
  return `${table} (${columns.join(", ")}) -> ${target} (${targetColumns.join(", ")}) ON DELETE ${onDelete} ON UPDATE ${onUpdate}`;
}

function describeSchema(datamodel: Datamodel): SchemaDescription {
  const modelByName = new Map(datamodel.models.map((model) => [model.name, model]));
  const column = (model: DmmfModel, fieldName: string) => {
    const field = model.fields.find((candidate) => candidate.name === fieldName);
    if (!field) throw new Error(`${model.name} has no field ${fieldName}`);
    return columnName(field);
  };

  const description: SchemaDescription = { tables: [], columns: [], enums: [], indexes: [], foreignKeys: [] };
  for (const model of datamodel.models) {
    description.tables.push(`${tableName(model)} (BASE TABLE)`);
    for (const field of model.fields) {
      if (field.kind === "unsupported") throw new Error(`${model.name}.${field.name}: Unsupported() columns are not compared`);
      if (field.kind === "object") {
        if (!field.relationFromFields?.length) continue;
        const target = modelByName.get(field.type);
        if (!target) throw new Error(`${model.name}.${field.name}: unknown model ${field.type}`);
        const fromFields = field.relationFromFields.map((name) => model.fields.find((candidate) => candidate.name === name));
        // Prisma's defaults when @relation names no action: SetNull for an optional relation,
        // Restrict for a required one, and Cascade on update.
        const onDelete = field.relationOnDelete ?? (fromFields.every((from) => from?.isRequired) ? "Restrict" : "SetNull");
        const onUpdate = field.relationOnUpdate ?? "Cascade";
        description.foreignKeys.push(
          describeForeignKey(
            tableName(model),
            field.relationFromFields.map((name) => column(model, name)),
            tableName(target),
            (field.relationToFields ?? []).map((name) => column(target, name)),
            REFERENTIAL_ACTIONS[onDelete],
            REFERENTIAL_ACTIONS[onUpdate],
          ),
        );
        continue;
      }
      const base = expectedBaseType(model, field, datamodel.enums);
      // Prisma gives a scalar list the arity "list", not "required", and its migration engine
      // creates list columns without NOT NULL; DMMF's isRequired on a list only says the client
      // never returns null for it. So a list column is nullable whatever DMMF says.
      const nullable = field.isList || !field.isRequired;
      description.columns.push(`${tableName(model)}.${columnName(field)}: ${field.isList ? `ARRAY of ${base}` : base}, ${nullable ? "nullable" : "not null"}`);
    }
  }

  for (const dmmfEnum of datamodel.enums) {
    description.enums.push(`${enumName(dmmfEnum)}: ${dmmfEnum.values.map((value) => value.dbName ?? value.name).join(", ")}`);
  }

  const KINDS: Record<DmmfIndex["type"], string> = { id: "primary key", unique: "unique", normal: "index", fulltext: "fulltext" };
  for (const index of datamodel.indexes) {
    const model = modelByName.get(index.model);
    if (!model) throw new Error(`index on unknown model ${index.model}`);
    const columns = index.fields.map((field) => `${column(model, field.name)}${field.sortOrder === "desc" ? " DESC" : ""}`);
    description.indexes.push(describeIndex(tableName(model), KINDS[index.type], columns, (index.algorithm ?? "BTree").toLowerCase()));
  }

  return sortDescription(description);
}

// --- the database, through information_schema and pg_catalog --------------------------------

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
  is_nullable: "YES" | "NO";
  datetime_precision: number | null;
  character_maximum_length: number | null;
  element_type: string | null;
  element_udt: string | null;
  typmod: number;
}

// information_schema leaves an array element's precision and length blank, so for arrays they
// come from the column's type modifier (varchar stores length + 4).
function actualType(row: ColumnRow): string {
  const format = (dataType: string, udt: string, precision: number | null, length: number | null) => {
    if (dataType === "USER-DEFINED") return `USER-DEFINED ${udt}`;
    if (dataType.startsWith("timestamp") || dataType.startsWith("time ")) return `${dataType}(${precision ?? 6})`;
    if (dataType === "character varying" && length !== null) return `${dataType}(${length})`;
    return dataType;
  };
  if (row.data_type !== "ARRAY") return format(row.data_type, row.udt_name, row.datetime_precision, row.character_maximum_length);
  const element = row.element_type ?? "unknown";
  const modifier = row.typmod >= 0 ? row.typmod : null;
  const length = modifier !== null && element === "character varying" ? modifier - 4 : null;
  return `ARRAY of ${format(element, row.element_udt ?? "", modifier, length)}`;
}

// Every query is limited to the schema the migrations ran in and leaves out Prisma's own table
// and the daily partitions of usage_events, which the server creates and drops as days pass
// (DESIGN.md section 15.2): their parent is what schema.prisma describes.
async function describeDatabase(client: pg.Client): Promise<SchemaDescription> {
  const tables = await client.query<{ table_name: string; table_type: string }>(
    `SELECT table_name, table_type FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_name <> '_prisma_migrations'
       AND NOT (SELECT relispartition FROM pg_class WHERE oid = format('%I.%I', table_schema, table_name)::regclass)`,
  );

  const columns = await client.query<ColumnRow>(
    `SELECT c.table_name, c.column_name, c.data_type, c.udt_name, c.is_nullable,
            c.datetime_precision, c.character_maximum_length,
            e.data_type AS element_type, e.udt_name AS element_udt,
            a.atttypmod AS typmod
     FROM information_schema.columns c
     JOIN pg_attribute a
       ON a.attrelid = format('%I.%I', c.table_schema, c.table_name)::regclass AND a.attname = c.column_name
     LEFT JOIN information_schema.element_types e
       ON e.object_catalog = c.table_catalog AND e.object_schema = c.table_schema AND e.object_name = c.table_name
      AND e.object_type = 'TABLE' AND e.collection_type_identifier = c.dtd_identifier
     WHERE c.table_schema = current_schema() AND c.table_name <> '_prisma_migrations'
       AND NOT (SELECT relispartition FROM pg_class WHERE oid = a.attrelid)`,
  );

  const enums = await client.query<{ name: string; labels: string[] }>(
    `SELECT t.typname AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
     FROM pg_type t
     JOIN pg_namespace n ON n.oid = t.typnamespace
     JOIN pg_enum e ON e.enumtypid = t.oid
     WHERE n.nspname = current_schema()
     GROUP BY t.typname`,
  );

  // indoption bit 0 is DESC and bit 1 NULLS FIRST; only a non-default NULLS placement is shown,
  // because Prisma never asks for one. Expression, partial and INCLUDE indexes are spelled out so
  // they can never pass for a plain one.
  const indexes = await client.query<{
    table_name: string;
    is_primary: boolean;
    is_unique: boolean;
    method: string;
    columns: string[];
    included: string[];
    predicate: string | null;
  }>(
    `SELECT t.relname AS table_name, ix.indisprimary AS is_primary, ix.indisunique AS is_unique, am.amname AS method,
            ARRAY(
              SELECT CASE WHEN k.attnum = 0 THEN 'expression ' || pg_get_indexdef(ix.indexrelid, k.n::int, true) ELSE a.attname::text END
                     || CASE WHEN ix.indoption[k.n - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                     || CASE WHEN ix.indoption[k.n - 1] & 1 = 1 AND ix.indoption[k.n - 1] & 2 = 0 THEN ' NULLS LAST'
                             WHEN ix.indoption[k.n - 1] & 1 = 0 AND ix.indoption[k.n - 1] & 2 = 2 THEN ' NULLS FIRST'
                             ELSE '' END
              FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
              LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
              WHERE k.n <= ix.indnkeyatts
              ORDER BY k.n
            ) AS columns,
            ARRAY(
              SELECT a.attname::text
              FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, n)
              JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum
              WHERE k.n > ix.indnkeyatts
              ORDER BY k.n
            ) AS included,
            pg_get_expr(ix.indpred, ix.indrelid, true) AS predicate
     FROM pg_index ix
     JOIN pg_class i ON i.oid = ix.indexrelid
     JOIN pg_class t ON t.oid = ix.indrelid
     JOIN pg_namespace n ON n.oid = t.relnamespace
     JOIN pg_am am ON am.oid = i.relam
     WHERE n.nspname = current_schema() AND t.relname <> '_prisma_migrations' AND NOT t.relispartition`,
  );

  const ACTIONS: Record<string, string> = { a: "NO ACTION", r: "RESTRICT", c: "CASCADE", n: "SET NULL", d: "SET DEFAULT" };
  const foreignKeys = await client.query<{
    table_name: string;
    columns: string[];
    target: string;
    target_columns: string[];
    on_delete: string;
    on_update: string;
  }>(
    `SELECT src.relname AS table_name, dst.relname AS target,
            ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum ORDER BY k.n) AS columns,
            ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, n)
                  JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum ORDER BY k.n) AS target_columns,
            con.confdeltype AS on_delete, con.confupdtype AS on_update
     FROM pg_constraint con
     JOIN pg_class src ON src.oid = con.conrelid
     JOIN pg_class dst ON dst.oid = con.confrelid
     JOIN pg_namespace n ON n.oid = con.connamespace
     WHERE con.contype = 'f' AND n.nspname = current_schema()`,
  );

  return sortDescription({
    tables: tables.rows.map((row) => `${row.table_name} (${row.table_type})`),
    columns: columns.rows.map((row) => `${row.table_name}.${row.column_name}: ${actualType(row)}, ${row.is_nullable === "YES" ? "nullable" : "not null"}`),
    enums: enums.rows.map((row) => `${row.name}: ${row.labels.join(", ")}`),
    indexes: indexes.rows.map((row) =>
      describeIndex(
        row.table_name,
        row.is_primary ? "primary key" : row.is_unique ? "unique" : "index",
        row.columns,
        row.method,
        `${row.included.length ? ` INCLUDE (${row.included.join(", ")})` : ""}${row.predicate ? ` WHERE ${row.predicate}` : ""}`,
      ),
    ),
    foreignKeys: foreignKeys.rows.map((row) =>
      describeForeignKey(
        row.table_name,
        row.columns,
        row.target,
        row.target_columns,
        ACTIONS[row.on_delete] ?? row.on_delete,
        ACTIONS[row.on_update] ?? row.on_update,
      ),
    ),
  });
}

// --- comparison ------------------------------------------------------------------------------

function sortDescription(description: SchemaDescription): SchemaDescription {
  return Object.fromEntries(CATEGORIES.map((category) => [category, [...description[category]].sort()])) as SchemaDescription;
}

// Duplicates count: two identical indexes in the database are drift even if schema.prisma has one.
function schemaDifferences(expected: SchemaDescription, actual: SchemaDescription): string[] {
  const differences: string[] = [];
  for (const category of CATEGORIES) {
    const remaining = [...actual[category]];
    for (const line of expected[category]) {
      const at = remaining.indexOf(line);
      if (at === -1) differences.push(`${category}: missing from the database: ${line}`);
      else remaining.splice(at, 1);
    }
    for (const line of remaining) differences.push(`${category}: not in schema.prisma: ${line}`);
  }
  return differences;
}

describe("migrations match schema.prisma", () => {
  let database: TestDatabase;
  let expected: SchemaDescription;

  beforeAll(async () => {
    expected = describeSchema(loadDatamodel());
    database = await createTestDatabase("keyhold_drift");
    await migrate(database.url, MIGRATIONS_DIR);
  });

  afterAll(async () => {
    await database?.drop();
  });

  async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  }

  it("builds every table, column, enum, index and foreign key in schema.prisma, and nothing else", async () => {
    const actual = await withClient(describeDatabase);

    expect(schemaDifferences(expected, actual)).toEqual([]);
    // Guards against a comparison that passes because both sides came out empty, and pins
    // the type mapping to a few objects whose shape matters to the app.
    for (const category of CATEGORIES) expect(actual[category].length, category).toBeGreaterThan(0);
    expect(actual.columns).toContain("api_keys.scopes: ARRAY of text, nullable");
    expect(actual.columns).toContain("usage_rollups.minute: timestamp with time zone(0), not null");
    expect(actual.columns).toContain("usage_events.latency_ms: real, not null");
    expect(actual.columns).toContain("api_keys.environment: USER-DEFINED Environment, not null");
    expect(actual.indexes).toContain("api_keys: index (scopes) using gin");
    expect(actual.indexes).toContain("api_keys: index (created_at DESC, id DESC) using btree");
    expect(actual.indexes).toContain("usage_rollups: primary key (key_id, minute, outcome) using btree");
    expect(actual.foreignKeys).toContain("api_keys (created_by_id) -> users (id) ON DELETE SET NULL ON UPDATE CASCADE");
  });

  it("reports drift in either direction", async () => {
    // DDL is transactional in PostgreSQL, so the drift is rolled back and the database stays
    // exactly as the migrations left it.
    const differences = await withClient(async (client) => {
      await client.query("BEGIN");
      try {
        await client.query(`ALTER TABLE "scopes" ADD COLUMN "surprise" TEXT`);
        await client.query(`ALTER TABLE "scopes" ALTER COLUMN "description" DROP NOT NULL`);
        await client.query(`CREATE INDEX "drift_probe_idx" ON "scopes" ("created_at" DESC)`);
        await client.query(`CREATE UNIQUE INDEX "drift_probe_partial_idx" ON "scopes" ("id") WHERE "name" <> ''`);
        await client.query(`DROP INDEX "api_keys_start_idx"`);
        await client.query(`ALTER TABLE "api_keys" DROP CONSTRAINT "api_keys_rotated_from_id_fkey"`);
        await client.query(`CREATE TABLE "stray" ("id" TEXT PRIMARY KEY)`);
        return schemaDifferences(expected, await describeDatabase(client));
      } finally {
        await client.query("ROLLBACK");
      }
    });

    expect(differences.sort()).toEqual(
      [
        "tables: not in schema.prisma: stray (BASE TABLE)",
        "columns: not in schema.prisma: scopes.surprise: text, nullable",
        "columns: not in schema.prisma: stray.id: text, not null",
        "columns: missing from the database: scopes.description: text, not null",
        "columns: not in schema.prisma: scopes.description: text, nullable",
        "indexes: not in schema.prisma: scopes: index (created_at DESC) using btree",
        "indexes: not in schema.prisma: scopes: unique (id) using btree WHERE name <> ''::text",
        "indexes: not in schema.prisma: stray: primary key (id) using btree",
        "indexes: missing from the database: api_keys: index (start) using btree",
        "foreignKeys: missing from the database: api_keys (rotated_from_id) -> api_keys (id) ON DELETE SET NULL ON UPDATE CASCADE",
      ].sort(),
    );
    expect(schemaDifferences(expected, await withClient(describeDatabase))).toEqual([]);
  });
});
