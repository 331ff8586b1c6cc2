import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { exportCsv } from '../../server/read-models/data-export';
import { type DataRow, loadDataPage } from '../../server/read-models/data-page';
import type { TestDatabase } from '../helpers/postgres';
import { withStockSampleDatabase } from '../helpers/stock-sample';

const NULLABLE = new Set(['daily_percent_change', 'value_change']);
const key = (row: { company_name: string; stock_date: string }) => `${row.company_name}:${row.stock_date}`;

/** The order written out independently of the read model: empty values lowest, ties by (company, date) in the first direction. */
function plainOrderBy(sort: string, dir: string, sort2?: string, dir2?: string): string {
  const term = (column: string, direction: string) => `${column} ${direction}${NULLABLE.has(column) ? (direction === 'asc' ? ' NULLS FIRST' : ' NULLS LAST') : ''}`;
  const terms = [term(sort, dir)];
  if (sort2) terms.push(term(sort2, dir2!));
  for (const column of ['company_name', 'stock_date']) if (column !== sort && column !== sort2) terms.push(`${column} ${dir}`);
  return terms.join(', ');
}

describe('the data page: two-column sort, every filter, jump and hidden columns', () => {
  let database: TestDatabase;
  withStockSampleDatabase('datasorts', (created) => (database = created));

  async function walkForward(query: Record<string, string>): Promise<DataRow[]> {
    const rows: DataRow[] = [];
    let cursor: string | undefined;
    do {
      const page = await loadDataPage(database.pool, { ...query, size: '50', ...(cursor ? { after: cursor } : {}) });
      rows.push(...page.rows);
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    return rows;
  }

  async function expected(where: string, params: unknown[], orderBy: string): Promise<string[]> {
    const result = await database.pool.query<{ company_name: string; stock_date: string }>(
      `SELECT company_name, stock_date::text FROM historical_stocks_data WHERE ${where} ORDER BY ${orderBy}`,
      params,
    );
    return result.rows.map(key);
  }

  const pairs: Array<[string, string, string, string]> = [
    ['close_value', 'asc', 'volume_traded', 'desc'],
    ['daily_percent_change', 'desc', 'value_change', 'asc'],
    ['daily_percent_change', 'asc', 'value_change', 'desc'],
    ['value_change', 'asc', 'daily_percent_change', 'desc'],
    ['volume_traded', 'desc', 'daily_percent_change', 'asc'],
    ['company_name', 'asc', 'close_value', 'desc'],
    ['stock_date', 'desc', 'value_change', 'asc'],
    ['low_value', 'asc', 'company_name', 'desc'],
  ];
  for (const [sort, dir, sort2, dir2] of pairs) {
    it(`pages by ${sort} ${dir}, then ${sort2} ${dir2}, exactly as a plain ORDER BY`, async () => {
      const rows = await walkForward({ sort, dir, sort2, dir2 });
      assert.equal(rows.length, 900);
      assert.deepEqual(rows.map(key), await expected('true', [], plainOrderBy(sort, dir, sort2, dir2)));
    });
  }

  it('walks back from the last page across the empty-value boundaries to the first', async () => {
    const query = { sort: 'daily_percent_change', dir: 'asc', sort2: 'value_change', dir2: 'desc' };
    const forward = await walkForward(query);
    // The boundary is inside the walk: empty percents first, then values.
    assert.equal(forward[0]!.daily_percent_change, null);
    assert.notEqual(forward[forward.length - 1]!.daily_percent_change, null);
    let page = await loadDataPage(database.pool, { ...query, size: '50' });
    while (page.nextCursor) page = await loadDataPage(database.pool, { ...query, size: '50', after: page.nextCursor });
    const backward: DataRow[] = [...page.rows];
    while (page.prevCursor) {
      page = await loadDataPage(database.pool, { ...query, size: '50', before: page.prevCursor });
      backward.unshift(...page.rows);
    }
    assert.deepEqual(backward.map(key), forward.map(key));
  });

  const filters: Array<[Record<string, string>, string, unknown[]]> = [
    [{ openMin: '10', openMax: '12' }, 'open_value >= 10 AND open_value <= 12', []],
    [{ highMin: '30.5' }, 'high_value >= 30.5', []],
    [{ highMax: '21' }, 'high_value <= 21', []],
    [{ lowMin: '1', lowMax: '1.5' }, 'low_value BETWEEN 1 AND 1.5', []],
    [{ closeMin: '50', closeMax: '60' }, 'close_value BETWEEN 50 AND 60', []],
    [{ volumeMin: '100.5', volumeMax: '200' }, 'volume_traded BETWEEN 110 AND 200', []],
    [{ pctMin: '-2', pctMax: '3' }, 'daily_percent_change BETWEEN -2 AND 3', []],
    [{ changeMin: '0', changeMax: '1' }, 'value_change BETWEEN 0 AND 1', []],
    [{ pctEmpty: '1' }, 'daily_percent_change IS NULL', []],
    [{ company: 'aa, b', from: '2017-03-01', to: '2017-04-15' }, "company_name IN ('aa', 'b') AND stock_date BETWEEN '2017-03-01' AND '2017-04-15'", []],
    [{ sort: 'close_value', jump: '2017-10-01' }, "stock_date >= '2017-10-01'", []],
  ];
  for (const [filter, where] of filters) {
    it(`filters ${JSON.stringify(filter)} to exactly the rows of ${where}`, async () => {
      const sort = filter.sort ?? 'close_value';
      const rows = await walkForward({ sort, dir: 'asc', ...filter });
      const want = await expected(where, [], plainOrderBy(sort, 'asc'));
      assert.ok(want.length > 0 && want.length < 900, 'the filter keeps some rows and drops others');
      assert.deepEqual(rows.map(key), want);
      const counted = await loadDataPage(database.pool, { ...filter, count: 'exact' });
      assert.deepEqual(counted.total, { value: want.length, isEstimate: false });
      let csv = '';
      for await (const chunk of exportCsv(database.pool, { sort, dir: 'asc', ...filter })) csv += chunk;
      assert.equal(csv.trim().split('\n').length - 1, want.length, 'the export applies the same filter');
    });
  }

  it('reports bad values by field and keeps the good ones, never failing the query', async () => {
    const page = await loadDataPage(database.pool, { volumeMax: '1e30', jump: '2026-02-31', highMin: 'x', lowMax: '1', hide: 'open_value,nope' });
    assert.deepEqual(Object.keys(page.problems).sort(), ['hide', 'highMin', 'jump', 'volumeMax']);
    assert.ok(page.rows.length > 0);
    assert.ok(page.rows.every((row) => Number(row.low_value) <= 1));
    assert.equal(page.columns.length, 9, 'a hide list with an unknown column is not applied');
  });

  it('starts at the first page for a cursor that was edited or made for another order', async () => {
    const first = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50' });
    for (const values of [
      ['abc', 'aa', '2017-01-02'],
      ['1', 'aa', '2017-02-31'],
      ['1', 'aa'],
      [null, 'aa', '2017-01-02'],
      ['1e400', 'aa', '2017-01-02'],
    ]) {
      const after = Buffer.from(JSON.stringify(values)).toString('base64url');
      const page = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50', after });
      assert.deepEqual(page.rows, first.rows, JSON.stringify(values));
    }
    const garbage = await loadDataPage(database.pool, { sort: 'close_value', dir: 'asc', size: '50', before: 'not-base64-json' });
    assert.deepEqual(garbage.rows, first.rows);
  });

  it('jumps to a date when sorted by date, with the rows before it one page back', async () => {
    for (const dir of ['asc', 'desc'] as const) {
      const page = await loadDataPage(database.pool, { sort: 'stock_date', dir, jump: '2017-06-10', size: '50' });
      assert.equal(page.jumpMode, 'position');
      const all = await expected('true', [], plainOrderBy('stock_date', dir));
      const start = all.findIndex((entry) => (dir === 'asc' ? entry.split(':')[1]! >= '2017-06-10' : entry.split(':')[1]! <= '2017-06-10'));
      assert.ok(start > 0);
      assert.deepEqual(page.rows.map(key), all.slice(start, start + 50));
      assert.ok(page.prevCursor);
      const back = await loadDataPage(database.pool, { sort: 'stock_date', dir, before: page.prevCursor, size: '50' });
      assert.deepEqual(back.rows.map(key), all.slice(start - 50, start));
    }
    const first = await loadDataPage(database.pool, { sort: 'stock_date', dir: 'asc', jump: '2000-01-01' });
    assert.equal(first.prevCursor, null, 'nothing before the first day');
    assert.equal((await loadDataPage(database.pool, { sort: 'close_value', jump: '2017-06-10' })).jumpMode, 'filter');
  });

  it('leaves hidden columns out of the page and the export', async () => {
    const page = await loadDataPage(database.pool, { hide: 'open_value,high_value' });
    assert.deepEqual(page.columns, ['stock_date', 'low_value', 'close_value', 'volume_traded', 'daily_percent_change', 'value_change', 'company_name']);
    let csv = '';
    for await (const chunk of exportCsv(database.pool, { company: 'b', hide: ['open_value', 'high_value'], sort: 'stock_date', dir: 'asc' })) csv += chunk;
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'stock_date,low_value,close_value,volume_traded,daily_percent_change,value_change,company_name');
    assert.equal(lines.length, 301);
    assert.equal(lines[1]!.split(',').length, 7);
    const firstRow = await database.pool.query("SELECT low_value::text, close_value::text FROM historical_stocks_data WHERE company_name = 'b' ORDER BY stock_date LIMIT 1");
    assert.deepEqual(lines[1]!.split(',').slice(1, 3), [firstRow.rows[0].low_value, firstRow.rows[0].close_value]);
  });
});
