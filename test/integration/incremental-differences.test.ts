import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import type { LoadResult } from '../../server/ports/stock-table';
import { createTestDatabase, seedOtherCompanies, type TestDatabase } from '../helpers/postgres';

/**
 * The incremental path writes only what differs: a company's history loaded again with one more day
 * and one corrected price rewrites those rows, not the whole history (each row costs seven index
 * inserts). The table still ends holding exactly the new rows, as text.
 */
describe('incremental loads write only the rows that differ', () => {
  let database: TestDatabase;
  let table: PgStockTable;

  before(async () => {
    database = await createTestDatabase('incremental_differences');
    await migrate(database.pool);
    table = new PgStockTable(database.pool);
    // Every load below is incremental: its company is a small share of the table.
    await seedOtherCompanies(database.pool);
  });
  after(async () => {
    await database?.drop();
  });

  const day = (n: number): string => new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10);
  /** `days` rows of a company, open 1.5 and close 2; `edit` changes the line of a day. */
  const history = (company: string, days: number, edit: (n: number, line: string) => string | null = (_n, line) => line): string[] =>
    Array.from({ length: days }, (_, n) => edit(n, `${day(n)},1.5,2,1,2,100,33.333333,0.5,${company}`)).filter((line): line is string => line !== null);

  async function load(companies: string[], lines: string[]): Promise<LoadResult> {
    const session = await table.beginReplace(companies, { estimatedRows: lines.length });
    session.rows.end(lines.map((line) => `${line}\n`).join(''));
    return session.commit(lines.length);
  }

  /** The company's rows as text, with the transaction that wrote each. */
  async function rowsOf(company: string): Promise<Array<{ line: string; writer: string }>> {
    const result = await database.pool.query<{ line: string; writer: string }>(
      `SELECT concat_ws(',', stock_date, open_value, high_value, low_value, close_value, volume_traded, coalesce(daily_percent_change::text, ''), value_change, company_name) AS line,
              xmin::text AS writer
         FROM historical_stocks_data WHERE company_name = $1 ORDER BY stock_date`,
      [company],
    );
    return result.rows;
  }

  it('keeps identical rows as they are, rewrites changed ones (also a price written differently) and adds and removes the rest', async () => {
    const first = await load(['acme'], history('acme', 100));
    assert.equal(first.strategy, 'incremental');
    assert.deepEqual(first.changes.totals, { added: 100, changed: 0, removed: 0, unchanged: 0, companiesAdded: 1, companiesRemoved: 0 });
    const [firstWriter] = new Set((await rowsOf('acme')).map((row) => row.writer));

    // Day 10's close corrected, day 20's open written as 1.50 (the same value), day 30 gone, day 100 new.
    const next = history('acme', 101, (n, line) => {
      if (n === 10) return line.replace(',2,100,', ',2.25,100,');
      if (n === 20) return line.replace(',1.5,', ',1.50,');
      return n === 30 ? null : line;
    });
    const second = await load(['acme'], next);
    assert.equal(second.strategy, 'incremental');
    assert.equal(second.rowsLoaded, 100);
    assert.equal(second.rowsReplaced, 100, "every earlier row of the batch's company counts as replaced");
    assert.equal(second.rowsWritten, 6, 'days 10, 20 and 30 deleted; 10, 20 and 100 inserted');
    assert.deepEqual(second.changes.totals, { added: 1, changed: 1, removed: 1, unchanged: 98, companiesAdded: 0, companiesRemoved: 0 });
    assert.deepEqual(second.changes.companies, [{ company: 'acme', added: 1, changed: 1, removed: 1, unchanged: 98 }]);

    const rows = await rowsOf('acme');
    assert.deepEqual(
      rows.map((row) => row.line),
      next,
      'the table holds exactly the new rows, as written',
    );
    const rewritten = rows.filter((row) => row.writer !== firstWriter).map((row) => row.line.slice(0, 10));
    assert.deepEqual(rewritten, [day(10), day(20), day(100)], 'only the rows that differ were written');
  });

  it('changes nothing when the same rows come again, and removes a company the batch no longer has', async () => {
    const tableVersion = async (): Promise<number> => Number((await database.pool.query<{ version: string }>('SELECT version FROM stockflow.table_version')).rows[0]!.version);
    const versionBefore = await tableVersion();
    const before = await rowsOf('acme');
    const again = await load(
      ['acme'],
      before.map((row) => row.line),
    );
    assert.deepEqual(again.changes.totals, { added: 0, changed: 0, removed: 0, unchanged: 100, companiesAdded: 0, companiesRemoved: 0 });
    assert.equal(again.rowsWritten, 0);
    assert.deepEqual(await rowsOf('acme'), before, 'not one row rewritten');
    assert.equal(await tableVersion(), versionBefore, "the overview's kept figures still hold");

    const gone = await load(['acme', 'zeta'], history('zeta', 3));
    assert.deepEqual(gone.changes.totals, { added: 3, changed: 0, removed: 100, unchanged: 0, companiesAdded: 1, companiesRemoved: 1 });
    assert.deepEqual(await rowsOf('acme'), []);
    assert.equal((await rowsOf('zeta')).length, 3);
    assert.equal(await tableVersion(), versionBefore + 1);
  });

  it('fails on two rows with one key and leaves the table as it was', async () => {
    const before = await rowsOf('zeta');
    const lines = history('zeta', 3);
    await assert.rejects(load(['zeta'], [...lines, lines[1]!.replace(',2,100,', ',3,100,')]), /duplicate key/);
    assert.deepEqual(await rowsOf('zeta'), before);
  });
});
