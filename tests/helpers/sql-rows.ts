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
