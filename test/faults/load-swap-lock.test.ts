import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Issue #9, item 15 (the load's side): a reader holding the table cannot stall the swap, nor the swap every reader. */
describe('faults: the bulk load swap against readers that hold the table', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('faults_swap');
    await migrate(database.pool);
    await database.pool.query(
      `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
       SELECT date '1990-01-01' + n, 1, 2, 0.5, 1.5, 100, 50, 0.5, 'acme' FROM generate_series(1, 1000) n`,
    );
    await database.pool.query('ANALYZE historical_stocks_data');
  });
  after(async () => {
    await database?.drop();
  });

  const rowsOf = (count: number, close: string): string =>
    Array.from({ length: count }, (_, n) => `${new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10)},1,2,0.5,${close},100,,0.5,acme\n`).join('');

  async function bulkLoad(table: PgStockTable, close: string): Promise<unknown> {
    const session = await table.beginReplace(['acme'], { estimatedRows: 800 });
    session.rows.end(rowsOf(800, close));
    return session.commit(800);
  }

  async function holdTable(): Promise<{ release(): Promise<void> }> {
    const reader = await database.pool.connect();
    await reader.query('BEGIN');
    await reader.query('SELECT count(*) FROM historical_stocks_data');
    return {
      async release() {
        await reader.query('COMMIT');
        reader.release();
      },
    };
  }

  it('lets new readers through while it waits, and swaps once the long reader is done', { timeout: 30_000 }, async () => {
    const reader = await holdTable();
    const load = bulkLoad(new PgStockTable(database.pool, { lockTimeoutMs: 200, tries: 50, retryDelayMs: 200 }), '7');
    load.catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 700));
    const started = Date.now();
    await database.pool.query('SELECT count(*) FROM historical_stocks_data');
    assert.ok(Date.now() - started < 1500, `a page query waited ${Date.now() - started} ms behind the load`);
    await reader.release();
    const result = (await load) as { strategy: string; rowsLoaded: number };
    assert.deepEqual([result.strategy, result.rowsLoaded], ['bulk', 800]);
    const rows = await database.pool.query("SELECT count(*)::int AS n, min(close_value)::text AS close FROM historical_stocks_data WHERE company_name = 'acme'");
    assert.equal(rows.rows[0].n, 800);
    assert.equal(Number(rows.rows[0].close), 7);
  });

  it('gives up after its tries and changes nothing when the reader never lets go', { timeout: 30_000 }, async () => {
    const reader = await holdTable();
    try {
      await assert.rejects(bulkLoad(new PgStockTable(database.pool, { lockTimeoutMs: 100, tries: 3, retryDelayMs: 50 }), '9'), /could not swap the table in; nothing was changed/);
    } finally {
      await reader.release();
    }
    const rows = await database.pool.query("SELECT count(*)::int AS n, min(close_value) AS close FROM historical_stocks_data WHERE company_name = 'acme'");
    assert.equal(rows.rows[0].n, 800);
    assert.equal(Number(rows.rows[0].close), 7);
  });
});
