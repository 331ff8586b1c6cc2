import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { loadCompanyChart, searchCompanies } from '../../server/read-models/company-chart';
import { exportCsv } from '../../server/read-models/data-export';
import { type DataRow, loadDataPage } from '../../server/read-models/data-page';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('the data page and company chart read models', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('datapage');
    await migrate(database.pool);
    // Closes of different digit counts: a text sort would put 100 before 9.
    // value_change may be empty in a table converted from the seed's VARCHAR layout: allow it here.
    await database.pool.query('ALTER TABLE historical_stocks_data ALTER COLUMN value_change DROP NOT NULL');
    await database.pool.query(`
      INSERT INTO historical_stocks_data
      SELECT d::date, (i % 17) + k, (i % 19) + 20, (i % 5) / 2.0, ((i * 37) % 1000) / 7.0, (i % 40) * 10, CASE WHEN i % 11 = 0 THEN NULL ELSE (i % 13) - 6 END,
             CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 5) - 2 END, c
        FROM generate_series(1, 300) i, generate_series(1, 3) k,
             LATERAL (SELECT ('2017-01-01'::date + i) AS d, (ARRAY['aa', 'ab', 'b'])[k] AS c) x`);
  });
  after(async () => {
    await database?.drop();
  });

  async function walk(query: Record<string, string>): Promise<DataRow[]> {
    const rows: DataRow[] = [];
    let after: string | undefined;
    do {
      const page = await loadDataPage(database.pool, { ...query, size: '50', ...(after ? { after } : {}) });
      rows.push(...page.rows);
      after = page.nextCursor ?? undefined;
    } while (after);
    return rows;
  }

  for (const sort of ['close_value', 'daily_percent_change', 'value_change', 'stock_date', 'company_name', 'volume_traded'] as const) {
    for (const dir of ['asc', 'desc'] as const) {
      it(`pages through every row exactly once, sorted by ${sort} ${dir} (numerically)`, async () => {
        const rows = await walk({ sort, dir });
        assert.equal(rows.length, 900);
        assert.equal(new Set(rows.map((row) => `${row.company_name}:${row.stock_date}`)).size, 900);
        const expected = await database.pool.query<{ company_name: string; stock_date: string }>(
          `SELECT company_name, stock_date::text FROM historical_stocks_data ORDER BY ${sort} ${dir} ${sort === 'daily_percent_change' || sort === 'value_change' ? (dir === 'asc' ? 'NULLS FIRST' : 'NULLS LAST') : ''}, company_name ${dir}, stock_date ${dir}`,
        );
        assert.deepEqual(
          rows.map((row) => `${row.company_name}:${row.stock_date}`),
          expected.rows.map((row) => `${row.company_name}:${row.stock_date}`),
        );
      });
    }
  }

  it('goes back a page with the previous cursor', async () => {
    const first = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50' });
    const second = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50', after: first.nextCursor! });
    const back = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50', before: second.prevCursor! });
    assert.deepEqual(back.rows, first.rows);
    assert.equal(back.prevCursor, null);
  });

  it('filters by company, dates and ranges, and counts exactly on request', async () => {
    const page = await loadDataPage(database.pool, { company: 'ab', from: '2017-02-01', to: '2017-02-28', pctMin: '0', count: 'exact' });
    assert.ok(page.rows.length > 0, 'the filters match some rows, so the checks below are not vacuous');
    assert.ok(page.rows.every((row) => row.company_name === 'ab' && row.stock_date.startsWith('2017-02') && Number(row.daily_percent_change) >= 0));
    assert.equal(page.total.isEstimate, false);
    assert.equal(page.total.value, page.rows.length);
  });

  it('exports the filtered, sorted view as CSV with a header', async () => {
    let csv = '';
    for await (const chunk of exportCsv(database.pool, { company: 'b', sort: 'close_value', dir: 'desc' })) csv += chunk;
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'stock_date,open_value,high_value,low_value,close_value,volume_traded,daily_percent_change,value_change,company_name');
    assert.equal(lines.length, 301);
    const closes = lines.slice(1).map((line) => Number(line.split(',')[4]));
    assert.deepEqual(
      closes,
      [...closes].sort((a, b) => b - a),
    );
  });

  it('finds companies by prefix and downsamples a chart', async () => {
    assert.deepEqual(await searchCompanies(database.pool, 'a'), ['aa', 'ab']);
    assert.deepEqual(await searchCompanies(database.pool, 'zz'), []);
    const chart = await loadCompanyChart(database.pool, 'aa', { points: '50' });
    assert.equal(chart?.stats.rows, 300);
    assert.equal(chart?.points.length, 50);
    assert.equal(chart?.downsampled, true);
    assert.equal(await loadCompanyChart(database.pool, 'nope', {}), null);
  });
});
