import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { type CompanyChangeRow, dataChangesOf } from '../../server/adapters/data-changes';
import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import type { DataChanges } from '../../server/ports/stock-table';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/**
 * A load that replaces no earlier row skips the FULL JOIN of old and new rows (issue #11): what it
 * reports must be exactly what that FULL JOIN gives, whether the counts come from the transform
 * (rowsByCompany) or from the table, on both load paths, into an empty table or beside other companies.
 */
describe('a first load counts its changes without the FULL JOIN, with the same result', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('first_load_changes');
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    await database.pool.query('TRUNCATE historical_stocks_data, stockflow.demo_companies');
  });

  const day = (n: number): string => new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10);
  const rowsOf = (company: string, count: number, close = 1.5): string => Array.from({ length: count }, (_, n) => `${day(n)},1,2,0.5,${close},100,,0.5,${company}\n`).join('');

  // Four companies of the batch, one of them with no rows at all (an empty file).
  const batch: Record<string, number> = { alpha: 30, beta: 1, 'gamma "g"': 12, empty: 0 };
  const batchCsv = Object.entries(batch)
    .map(([company, count]) => rowsOf(company.includes('"') ? `"${company.replace(/"/g, '""')}"` : company, count))
    .join('');
  const batchRows = Object.values(batch).reduce((total, rows) => total + rows, 0);

  /** What the FULL JOIN (changes_* in insert_query.sql) gives for the batch's companies before and after a load. */
  async function fullJoinChanges(): Promise<DataChanges> {
    const rows = await database.pool.query<CompanyChangeRow>(
      `SELECT coalesce(n.company_name, o.company_name) AS company,
         count(*) FILTER (WHERE o.stock_date IS NULL) AS added, count(*) FILTER (WHERE n.stock_date IS NULL) AS removed,
         count(*) FILTER (WHERE o.stock_date IS NOT NULL AND n.stock_date IS NOT NULL AND o.close_value IS DISTINCT FROM n.close_value) AS changed,
         count(*) FILTER (WHERE o.stock_date IS NOT NULL AND n.stock_date IS NOT NULL) AS matched
       FROM (SELECT * FROM test_before WHERE company_name = ANY($1)) o
       FULL JOIN (SELECT * FROM historical_stocks_data WHERE company_name = ANY($1)) n ON n.company_name = o.company_name AND n.stock_date = o.stock_date
       GROUP BY 1`,
      [Object.keys(batch)],
    );
    return dataChangesOf(rows.rows);
  }

  for (const bulk of [true, false]) {
    for (const counts of ['from the transform', 'from the table'] as const) {
      for (const others of [false, true]) {
        it(`${bulk ? 'bulk' : 'incremental'} path, counts ${counts}, ${others ? 'beside other companies' : 'into an empty table'}`, async () => {
          if (others) {
            const table = new PgStockTable(database.pool);
            const session = await table.beginReplace(['other'], {});
            session.rows.end(rowsOf('other', 5));
            await session.commit(5);
          }
          await database.pool.query('DROP TABLE IF EXISTS test_before');
          await database.pool.query('CREATE TABLE test_before AS TABLE historical_stocks_data');
          const session = await new PgStockTable(database.pool).beginReplace(Object.keys(batch), { estimatedRows: bulk ? batchRows : undefined });
          session.rows.end(batchCsv);
          const rowsByCompany = counts === 'from the transform' ? new Map(Object.entries(batch)) : undefined;
          const result = await session.commit(batchRows, { rowsByCompany });
          assert.equal(result.strategy, bulk ? 'bulk' : 'incremental');
          assert.deepEqual(result.changes, await fullJoinChanges());
          assert.deepEqual(result.changes.totals, { added: batchRows, changed: 0, removed: 0, unchanged: 0, companiesAdded: 3, companiesRemoved: 0 });
          const kept = await database.pool.query<{ rows: number }>("SELECT count(*)::int AS rows FROM historical_stocks_data WHERE company_name = 'other'");
          assert.equal(kept.rows[0]!.rows, others ? 5 : 0);
        });
      }
    }
  }

  it('counts from the table when the transform counts do not add up to the rows loaded', async () => {
    await database.pool.query('CREATE TABLE IF NOT EXISTS test_before AS TABLE historical_stocks_data WITH NO DATA');
    await database.pool.query('TRUNCATE test_before');
    const session = await new PgStockTable(database.pool).beginReplace(Object.keys(batch), { estimatedRows: batchRows });
    session.rows.end(batchCsv);
    const result = await session.commit(batchRows, { rowsByCompany: new Map([['alpha', 1]]) });
    assert.deepEqual(result.changes, await fullJoinChanges());
  });

  it('compares with the FULL JOIN once a company of the batch had rows before', async () => {
    const table = new PgStockTable(database.pool);
    const first = await table.beginReplace(['alpha'], {});
    first.rows.end(rowsOf('alpha', 10, 1));
    await first.commit(10);
    await database.pool.query('DROP TABLE IF EXISTS test_before');
    await database.pool.query('CREATE TABLE test_before AS TABLE historical_stocks_data');
    const session = await table.beginReplace(Object.keys(batch), { estimatedRows: batchRows });
    session.rows.end(batchCsv);
    const result = await session.commit(batchRows, { rowsByCompany: new Map(Object.entries(batch)) });
    assert.deepEqual(result.changes, await fullJoinChanges());
    assert.deepEqual(result.changes.totals, { added: batchRows - 10, changed: 10, removed: 0, unchanged: 0, companiesAdded: 2, companiesRemoved: 0 });
  });
});
