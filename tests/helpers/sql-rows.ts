import pg from "pg";

/** The rows of one query, on a connection of its own: for reading what the code under test wrote. */
export async function queryRows<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const connection = new pg.Client({ connectionString: url });
  await connection.connect();
  try {
    return (await connection.query<T>(sql, params)).rows;
  } finally {
    await connection.end();
  }
}

/** A bare key row, for tests of what refers to keys (usage), not of keys themselves. */
export async function insertKeyRow(url: string, id: string): Promise<void> {
  await queryRows(
    url,
    `INSERT INTO api_keys (id, name, start, hash, environment, scopes, meta, updated_at)
     VALUES ($1, $1, 'kh_live_abcd', $2, 'live', '{}', '{}', now())`,
    [id, `hash_${id}`],
  );
}
