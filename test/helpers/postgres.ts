import pg from 'pg';

import { createPool } from '../../server/db/pool';

/** The PostgreSQL server tests use; each test file gets its own fresh database on it. */
export const TEST_SERVER_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  url: string;
  pool: pg.Pool;
  drop(): Promise<void>;
}

export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `stockflow_test_${label.replace(/\W/g, '_')}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: TEST_SERVER_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(TEST_SERVER_URL);
  url.pathname = `/${name}`;
  const pool = createPool(url.toString());
  return {
    url: url.toString(),
    pool,
    async drop() {
      await pool.end();
      const cleanup = new pg.Client({ connectionString: TEST_SERVER_URL });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await cleanup.end();
    },
  };
}

/**
 * Rows of companies outside any batch (by default base0..base19, 1,000 days each), from 1800 on so
 * they never meet real dates, vacuumed and analyzed: a table large enough that a batch is a small
 * share of it, so its load takes the incremental path (per shard, in a sharded run).
 */
export async function seedOtherCompanies(pool: pg.Pool, { companies = Array.from({ length: 20 }, (_, index) => `base${index}`), days = 1000 } = {}): Promise<void> {
  await pool.query(
    `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
     SELECT date '1800-01-01' + day, 1, 2, 0.5, 1.5, 100, 50, 0.5, name FROM unnest($1::text[]) AS name, generate_series(0, $2::int - 1) AS day`,
    [companies, days],
  );
  await pool.query('VACUUM (ANALYZE) historical_stocks_data');
}

/**
 * Heap fetches of an index-only scan of the whole table in the date index's order: 0 when every
 * page is all-visible (the state each load leaves after its VACUUM).
 */
export async function heapFetchesInDateOrder(pool: pg.Pool): Promise<number> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    for (const setting of ['enable_seqscan', 'enable_bitmapscan', 'enable_sort']) await client.query(`SET LOCAL ${setting} = off`);
    const plan = await client.query<{ 'QUERY PLAN': string }>(
      'EXPLAIN (ANALYZE, TIMING OFF, SUMMARY OFF) SELECT stock_date, close_value, company_name FROM historical_stocks_data ORDER BY stock_date DESC, company_name DESC',
    );
    const text = plan.rows.map((row) => row['QUERY PLAN']).join('\n');
    if (!/Index Only Scan using historical_stocks_date/.test(text)) throw new Error(`not an index-only scan of historical_stocks_date:\n${text}`);
    return Number(/Heap Fetches: (\d+)/.exec(text)![1]);
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}
