import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import { loadDataSummary } from '../../server/read-models/data-summary';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe("the overview's figures: computed once per table version", () => {
  let database: TestDatabase;
  let table: PgStockTable;
  before(async () => {
    database = await createTestDatabase('data_summary');
    await migrate(database.pool);
    table = new PgStockTable(database.pool);
  });
  after(async () => {
    await database?.drop();
  });

  const rowsOf = (company: string, closes: number[]): string =>
    closes.map((close, n) => `${new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10)},1,2,0.5,${close},100,50,${(close - 1).toFixed(4)},${company}\n`).join('');

  async function load(companies: Record<string, number[]>): Promise<void> {
    const session = await table.beginReplace(Object.keys(companies));
    const text = Object.entries(companies)
      .map(([company, closes]) => rowsOf(company, closes))
      .join('');
    session.rows.end(text);
    await session.commit(Object.values(companies).flat().length);
  }

  const computedAt = async (): Promise<string | null> => (await database.pool.query<{ at: string }>('SELECT computed_at::text AS at FROM stockflow.data_summary')).rows[0]?.at ?? null;

  it('answers what a scan of the table answers, and scans again only after a load changed the table', async () => {
    assert.deepEqual(await loadDataSummary(database.pool), {
      rows: 0,
      companies: 0,
      firstDate: null,
      lastDate: null,
      meanOpen: null,
      meanClose: null,
      sumValueChange: null,
      demoCompanies: 0,
    });
    await load({ acme: [1.5, 2.5], zeta: [3] });
    const first = await loadDataSummary(database.pool);
    assert.deepEqual(first, { rows: 3, companies: 2, firstDate: '2001-01-01', lastDate: '2001-01-02', meanOpen: '1.0000', meanClose: '2.3333', sumValueChange: '4.0000', demoCompanies: 0 });
    const keptAt = await computedAt();
    assert.deepEqual(await loadDataSummary(database.pool), first);
    assert.equal(await computedAt(), keptAt, 'the second view reads the kept figures');

    // Rows changed behind the version's back are not seen: the figures come from the kept row.
    await database.pool.query("UPDATE historical_stocks_data SET close_value = 100 WHERE company_name = 'zeta'");
    assert.deepEqual(await loadDataSummary(database.pool), first);

    await load({ zeta: [4, 5] });
    const second = await loadDataSummary(database.pool);
    assert.deepEqual(second, { rows: 4, companies: 2, firstDate: '2001-01-01', lastDate: '2001-01-02', meanOpen: '1.0000', meanClose: '3.2500', sumValueChange: '9.0000', demoCompanies: 0 });
    assert.notEqual(await computedAt(), keptAt);
  });

  it('viewers arriving while the figures are computed share one computation', async () => {
    await load({ acme: [7] });
    // The computation takes a client of its own (pool.connect() without a callback; pool.query passes one).
    const pool = database.pool;
    const connect = pool.connect.bind(pool);
    let computations = 0;
    pool.connect = ((...args: unknown[]) => {
      if (args.length === 0) computations += 1;
      return (connect as (...a: unknown[]) => unknown)(...args);
    }) as typeof pool.connect;
    try {
      const [a, b, c] = await Promise.all([loadDataSummary(pool), loadDataSummary(pool), loadDataSummary(pool)]);
      assert.equal(computations, 1);
      assert.deepEqual(a, b);
      assert.deepEqual(b, c);
      assert.equal(a.rows, 3);
    } finally {
      pool.connect = connect;
    }
  });
  it('a connection dropped under the computation fails the view, not the process', async () => {
    await load({ zeta: [8] });
    const blocker = await database.pool.connect();
    try {
      // The computation waits on the table's lock, where its backend is then terminated.
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE historical_stocks_data IN ACCESS EXCLUSIVE MODE');
      const viewing = loadDataSummary(database.pool);
      viewing.catch(() => {});
      let pid: number | undefined;
      for (let tries = 0; tries < 200 && pid === undefined; tries += 1) {
        const waiting = await database.pool.query<{ pid: number }>(
          "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT count(*) AS rows%'",
        );
        pid = waiting.rows[0]?.pid;
        if (pid === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(pid, 'the computation waits for the table');
      await database.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await assert.rejects(viewing, /terminat/i);
    } finally {
      await blocker.query('ROLLBACK');
      blocker.release();
    }
    assert.equal((await loadDataSummary(database.pool)).rows, 2, 'the next view computes them');
  });
});
