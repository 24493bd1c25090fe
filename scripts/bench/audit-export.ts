// `npm run bench:audit-export`: the audit export's memory with a million entries (DESIGN.md
// section 15.6). Seeds AUDIT_ENTRIES (default 1,000,000) audit entries into a fresh PostgreSQL
// database with SQL, streams the whole NDJSON export through lib/audit/export-audit.ts the way
// the route does, and prints the rows, the bytes, the time and the heap in use before, at its
// highest during, and after the export. Nothing is asserted (DESIGN.md section 12).
import pg from "pg";

import { exportAuditLog } from "../../lib/audit/export-audit";
import { createDb } from "../../lib/db/client";
import { migrate } from "../../lib/db/migrate";

const SERVER = process.env.BENCH_SERVER_URL ?? "postgresql://postgres@127.0.0.1:5432";
const NAME = `keyhold_audit_bench_${Date.now().toString(36)}`;
const ENTRIES = Number(process.env.AUDIT_ENTRIES ?? 1_000_000);
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function onServer(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: `${SERVER}/postgres` });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

await onServer(`CREATE DATABASE "${NAME}"`);
const url = `${SERVER}/${NAME}`;
try {
  await migrate(url);
  const seed = new pg.Client({ connectionString: url });
  await seed.connect();
  let started = performance.now();
  await seed.query(
    `INSERT INTO audit_logs (actor_type, actor_id, action, target_type, target_id, data, ip, at)
     SELECT 'key', 'key_' || lpad((n % 5000)::text, 22, '0'), 'key.update', 'key', 'key_' || lpad(n::text, 22, '0'),
            jsonb_build_object('changes', jsonb_build_object('name', jsonb_build_object('from', 'old ' || n, 'to', 'new ' || n))),
            '203.0.113.' || (n % 250), now() - (${ENTRIES} - n) * interval '1 second'
     FROM generate_series(1, ${ENTRIES}) n`,
  );
  await seed.end();
  console.log(`seeded ${ENTRIES.toLocaleString("en")} audit entries in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const db = createDb(url, 2);
  global.gc?.();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  let bytes = 0;
  let lines = 0;
  started = performance.now();
  const reader = exportAuditLog(db, {}).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    bytes += value.byteLength;
    for (const byte of value) if (byte === 10) lines++;
    peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - started) / 1000;
  global.gc?.();
  const after = process.memoryUsage().heapUsed;
  await db.$disconnect();
  console.log(
    `exported ${lines.toLocaleString("en")} lines, ${mb(bytes)}, in ${seconds.toFixed(1)} s (${Math.round(lines / seconds).toLocaleString("en")} entries/s)`,
  );
  console.log(`heap in use: ${mb(before)} before, at most ${mb(peak)} during (+${mb(peak - before)}), ${mb(after)} after; the export itself is ${mb(bytes)}`);
} finally {
  await onServer(`DROP DATABASE IF EXISTS "${NAME}" WITH (FORCE)`);
}
