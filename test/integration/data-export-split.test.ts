import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { EXPORT_SETTINGS, exportCsv, type ExportSettings, FORMULA_NAME_CONDITION } from '../../server/read-models/data-export';
import type { TestDatabase } from '../helpers/postgres';
import { insertStockSample, withStockSampleDatabase } from '../helpers/stock-sample';

/** Cut even the 900-row sample: parts of about 40 rows, the whole table sampled. */
const ALWAYS_SPLIT: ExportSettings = { ...EXPORT_SETTINGS, split: { splitAtRows: 1, partRows: 40, sampleRows: 1_000_000, maxParts: 64 } };
const NEVER_SPLIT: ExportSettings = { ...EXPORT_SETTINGS, split: { ...EXPORT_SETTINGS.split, splitAtRows: Number.POSITIVE_INFINITY } };

describe('the CSV export cut into ranges, two connections side by side', () => {
  let database: TestDatabase;
  withStockSampleDatabase('exportsplit', (created) => (database = created));

  /** The CSV and how many connections it took from the pool. */
  async function download(query: Record<string, string | string[]>, split: ExportSettings): Promise<{ csv: string; connections: number }> {
    let connections = 0;
    const count = (): void => {
      connections += 1;
    };
    database.pool.on('acquire', count);
    try {
      let csv = '';
      for await (const chunk of exportCsv(database.pool, query, split)) csv += chunk.toString();
      return { csv, connections };
    } finally {
      database.pool.removeListener('acquire', count);
    }
  }

  const orders: Array<Record<string, string | string[]>> = [
    {},
    { sort: 'company_name', dir: 'asc' },
    { sort: 'stock_date', dir: 'asc' },
    { sort: 'close_value', dir: 'asc', sort2: 'volume_traded', dir2: 'desc' },
    { sort: 'daily_percent_change', dir: 'desc', sort2: 'value_change', dir2: 'asc' },
    { sort: 'daily_percent_change', dir: 'asc' },
    { sort: 'value_change', dir: 'asc', sort2: 'daily_percent_change', dir2: 'desc' },
    { sort: 'value_change', dir: 'desc' },
    { sort: 'volume_traded', dir: 'desc', from: '2017-03-01', closeMin: '20' },
    { company: 'aa, b', sort: 'stock_date', dir: 'desc', hide: ['open_value', 'high_value'] },
    { pctEmpty: '1', sort: 'value_change', dir: 'asc' },
  ];
  for (const query of orders) {
    it(`gives byte for byte the one-connection file, in two or more parts: ${JSON.stringify(query)}`, async () => {
      const whole = await download(query, NEVER_SPLIT);
      const split = await download(query, ALWAYS_SPLIT);
      assert.equal(whole.connections, 1);
      assert.equal(split.connections, 2, 'a second connection read part of the ranges');
      assert.ok(whole.csv.split('\n').length > 10, 'the query keeps rows');
      assert.equal(split.csv, whole.csv);
    });
  }

  it('stays on one connection when no index gives the order (each range would sort the whole table)', async () => {
    const query = { sort: 'open_value', dir: 'asc' };
    const split = await download(query, ALWAYS_SPLIT);
    assert.equal(split.connections, 1);
    assert.equal(split.csv, (await download(query, NEVER_SPLIT)).csv);
  });

  it('runs on one connection when the snapshot cannot be exported (the first transaction is started again)', async () => {
    const query = { sort: 'stock_date', dir: 'asc' };
    // Connections whose pg_export_snapshot() fails on the server, aborting the transaction as a real failure would.
    const failing = Object.create(database.pool) as typeof database.pool;
    let connects = 0;
    failing.connect = (async () => {
      connects += 1;
      const client = await database.pool.connect();
      const send = client.query.bind(client) as (...args: unknown[]) => unknown;
      const release = client.release.bind(client);
      Object.assign(client, {
        query: (text: unknown, ...rest: unknown[]) => send(typeof text === 'string' && text.includes('pg_export_snapshot') ? 'SELECT 1/0 AS id' : text, ...rest),
        release: (error?: Error | boolean) => {
          Reflect.deleteProperty(client, 'query');
          Reflect.deleteProperty(client, 'release');
          release(error);
        },
      });
      return client;
    }) as typeof failing.connect;
    let csv = '';
    for await (const chunk of exportCsv(failing, query, ALWAYS_SPLIT)) csv += chunk.toString();
    assert.equal(connects, 1, 'no second connection');
    assert.equal(csv, (await download(query, NEVER_SPLIT)).csv);
  });

  it("reads one snapshot: rows deleted between the two connections' starts are in the file", async () => {
    const before = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM historical_stocks_data');
    // A pool whose second connection comes only after a delete has committed.
    let connects = 0;
    const gated = Object.create(database.pool) as typeof database.pool;
    gated.connect = (async () => {
      connects += 1;
      if (connects === 2) await database.pool.query(`DELETE FROM historical_stocks_data WHERE stock_date > '2017-09-01'`);
      return database.pool.connect();
    }) as typeof gated.connect;
    try {
      let csv = '';
      for await (const chunk of exportCsv(gated, { sort: 'stock_date', dir: 'asc' }, ALWAYS_SPLIT)) csv += chunk.toString();
      assert.equal(connects, 2);
      assert.equal(csv.trim().split('\n').length - 1, before.rows[0]!.n);
    } finally {
      await database.pool.query('DELETE FROM historical_stocks_data');
      await insertStockSample(database.pool);
    }
  });

  it("checks company names for a spreadsheet formula once, by migration 021's index, and guards them only when one needs it", async () => {
    const client = await database.pool.connect();
    try {
      // With sequential scans off the planner can take the partial index only if its predicate is the export's condition.
      await client.query('BEGIN');
      await client.query('SET LOCAL enable_seqscan = off');
      const plan = await client.query<{ 'QUERY PLAN': string }>(`EXPLAIN SELECT EXISTS (SELECT 1 FROM public.historical_stocks_data WHERE ${FORMULA_NAME_CONDITION})`);
      assert.match(plan.rows.map((row) => row['QUERY PLAN']).join('\n'), /historical_stocks_formula_names/);
    } finally {
      await client.query('ROLLBACK');
      client.release();
    }
    const query = { sort: 'company_name', dir: 'asc' };
    const plain = await download(query, ALWAYS_SPLIT);
    assert.ok(!plain.csv.includes("'"), 'no name needed a quote');
    await database.pool.query(`INSERT INTO historical_stocks_data VALUES ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, '=evil'), ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, 'x=y')`);
    try {
      for (const split of [ALWAYS_SPLIT, NEVER_SPLIT]) {
        const lines = (await download(query, split)).csv.trim().split('\n');
        assert.ok(lines.includes("2017-01-03,1,1,1,1,1,0,0,'=evil"), 'a name starting like a formula is quoted');
        assert.ok(lines.includes('2017-01-03,1,1,1,1,1,0,0,x=y'), 'other names are left as they are');
        assert.equal(lines.filter((line) => !line.includes('evil') && !line.includes('x=y')).join('\n'), plain.csv.trim(), 'and the other rows are unchanged');
      }
    } finally {
      await database.pool.query(`DELETE FROM historical_stocks_data WHERE company_name IN ('=evil', 'x=y')`);
    }
  });
});
