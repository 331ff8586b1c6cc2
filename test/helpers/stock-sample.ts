import { after, before } from 'node:test';

import type pg from 'pg';

import { migrate } from '../../server/db/migrate';
import { createTestDatabase, type TestDatabase } from './postgres';

/**
 * 900 rows (3 companies × 300 days) with many ties (so secondary sorts matter) and empty
 * percent and value_change values (value_change may be empty in a table converted from the seed).
 */
export async function insertStockSample(pool: pg.Pool): Promise<void> {
  await pool.query('ALTER TABLE historical_stocks_data ALTER COLUMN value_change DROP NOT NULL');
  await pool.query(`
    INSERT INTO historical_stocks_data
    SELECT d::date, (i % 17) + k, (i % 19) + 20, (i % 5) / 2.0, ((i * 37) % 1000) / 7.0, (i % 40) * 10, CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 13) - 6 END,
           CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5) - 2 END, c
      FROM generate_series(1, 300) i, generate_series(1, 3) k,
           LATERAL (SELECT ('2017-01-01'::date + i) AS d, (ARRAY['aa', 'ab', 'b'])[k] AS c) x`);
  await pool.query('ANALYZE historical_stocks_data');
}

/** A migrated test database holding the sample for the enclosing suite (handed to `use`), dropped after it. */
export function withStockSampleDatabase(name: string, use: (database: TestDatabase) => void): void {
  let database: TestDatabase | undefined;
  before(async () => {
    database = await createTestDatabase(name);
    await migrate(database.pool);
    await insertStockSample(database.pool);
    use(database);
  });
  after(async () => {
    await database?.drop();
  });
}
