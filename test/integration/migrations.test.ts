import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { readMigrations } from '../../server/db/sql-files';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const SEED_TABLE = `CREATE TABLE historical_stocks_data (
  stock_date VARCHAR(56), open_value VARCHAR(56), high_value VARCHAR(56), low_value VARCHAR(56),
  close_value VARCHAR(56), volume_traded VARCHAR(56), daily_percent_change VARCHAR(56),
  value_change VARCHAR(56), company_name VARCHAR(56))`;

describe('migrations', () => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase('migrations');
  });
  afterEach(async () => {
    await database.drop();
  });
  after(() => {});

  it('creates the typed table and the stockflow schema once, even with concurrent callers', async () => {
    const reports = await Promise.all([migrate(database.pool), migrate(database.pool), migrate(database.pool)]);
    const appliedNames = reports.flatMap((report) => report.applied);
    assert.deepEqual(
      appliedNames.sort(),
      readMigrations()
        .map((migration) => migration.name)
        .sort(),
    );
    const again = await migrate(database.pool);
    assert.deepEqual(again.applied, []);
    const columns = await database.pool.query(
      `SELECT column_name, data_type FROM information_schema.columns
        WHERE table_name = 'historical_stocks_data' ORDER BY ordinal_position`,
    );
    assert.deepEqual(
      columns.rows.map((row) => `${row.column_name}:${row.data_type}`),
      [
        'stock_date:date',
        'open_value:numeric',
        'high_value:numeric',
        'low_value:numeric',
        'close_value:numeric',
        'volume_traded:bigint',
        'daily_percent_change:numeric',
        'value_change:numeric',
        'company_name:character varying',
      ],
    );
  });

  it("converts a table in the seed's all-VARCHAR layout in place, keeping its rows", async () => {
    await database.pool.query(SEED_TABLE);
    await database.pool.query(`INSERT INTO historical_stocks_data VALUES
      ('2017-01-03', '10', '11', '9', '10.5', '100', '5', '0.5', 'abc'),
      ('2017-01-04', '0', '11', '0', '10.5', '100', '', '10.5', 'abc')`);
    await migrate(database.pool);
    const rows = await database.pool.query('SELECT stock_date::text, volume_traded, daily_percent_change::text FROM historical_stocks_data ORDER BY stock_date');
    assert.deepEqual(rows.rows, [
      { stock_date: '2017-01-03', volume_traded: '100', daily_percent_change: '5' },
      { stock_date: '2017-01-04', volume_traded: '100', daily_percent_change: null },
    ]);
    const key = await database.pool.query(`SELECT 1 FROM pg_index WHERE indrelid = 'historical_stocks_data'::regclass AND indisprimary`);
    assert.equal(key.rowCount, 1);
  });

  it('names the first value that does not convert, and changes nothing', async () => {
    await database.pool.query(SEED_TABLE);
    await database.pool.query(`INSERT INTO historical_stocks_data VALUES
      ('2017-01-03', '10', '11', '9', '10.5', '100', '5', '0.5', 'abc'),
      ('2017-01-04', '10', '11', '9', 'n/a', '100', '5', '0.5', 'abc')`);
    await assert.rejects(migrate(database.pool), /close_value = 'n\/a' \(company_name 'abc', stock_date '2017-01-04'\) is not a valid numeric/);
    const type = await database.pool.query(`SELECT data_type FROM information_schema.columns WHERE table_name = 'historical_stocks_data' AND column_name = 'stock_date'`);
    assert.equal(type.rows[0].data_type, 'character varying');
  });
});
