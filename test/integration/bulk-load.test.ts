import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import { createPool } from '../../server/db/pool';
import { createTestDatabase, heapFetchesInDateOrder, type TestDatabase } from '../helpers/postgres';

/**
 * The bulk path fills and indexes its new table in sessions of its own, committed under its own
 * name before the swap (issue #11): the visible table still changes only at the load's commit.
 */
describe('bulk load: the new table built beside the load, swapped in at its commit', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('bulk_load');
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
  });
  beforeEach(async () => {
    await database.pool.query('DROP TABLE IF EXISTS historical_stocks_data_next');
    await database.pool.query('TRUNCATE historical_stocks_data, stockflow.demo_companies');
    await database.pool.query(
      `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
       SELECT date '1990-01-01' + n, 1, 2, 0.5, 1.5, 100, 50, 0.5, c FROM generate_series(1, 100) n, unnest(ARRAY['acme', 'keep']) c`,
    );
    await database.pool.query('ANALYZE historical_stocks_data');
  });

  const day = (n: number): string => new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10);
  const rowsOf = (company: string, count: number, close: string): string => Array.from({ length: count }, (_, n) => `${day(n)},1,2,0.5,${close},100,,0.5,${company}\n`).join('');

  async function bulkLoad(csv: string, rows: number): Promise<{ strategy: string }> {
    const session = await new PgStockTable(database.pool).beginReplace(['acme'], { estimatedRows: rows });
    session.rows.end(csv);
    return session.commit(rows);
  }

  async function digest(): Promise<string> {
    const result = await database.pool.query<{ digest: string }>("SELECT md5(string_agg(t::text, '|' ORDER BY company_name, stock_date)) AS digest FROM historical_stocks_data t");
    return result.rows[0]!.digest;
  }

  async function tableShape(): Promise<string[]> {
    const result = await database.pool.query<{ shape: string }>(
      `SELECT c.relname || ' ' || pg_get_indexdef(i.indexrelid) || coalesce(' ' || k.contype::text, '') AS shape
         FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid LEFT JOIN pg_constraint k ON k.conindid = i.indexrelid
        WHERE i.indrelid = 'public.historical_stocks_data'::regclass ORDER BY 1`,
    );
    return result.rows.map((row) => row.shape);
  }

  const nextTableExists = async (): Promise<boolean> => (await database.pool.query("SELECT to_regclass('public.historical_stocks_data_next') IS NOT NULL AS e")).rows[0].e as boolean;

  it('swaps in a table with the same key and indexes, keeping the other companies', async () => {
    const shape = await tableShape();
    const result = await bulkLoad(rowsOf('acme', 150, '7'), 150);
    assert.equal(result.strategy, 'bulk');
    assert.deepEqual(await tableShape(), shape);
    const counts = await database.pool.query('SELECT company_name, count(*)::int AS n, max(close_value)::text AS close FROM historical_stocks_data GROUP BY 1 ORDER BY 1');
    assert.deepEqual(counts.rows, [
      { company_name: 'acme', n: 150, close: '7' },
      { company_name: 'keep', n: 100, close: '1.5' },
    ]);
    assert.equal(await nextTableExists(), false);
  });

  it("leaves every page all-visible, kept rows too: reads in the date index's order need no heap fetch", async () => {
    await bulkLoad(rowsOf('acme', 150, '7'), 150);
    assert.equal(await heapFetchesInDateOrder(database.pool), 0);
  });

  it('leaves the table as it was, and no new table behind, when a key build fails in a helper session', async () => {
    const before = await digest();
    // The same day twice: the primary key's unique index fails to build.
    await assert.rejects(bulkLoad(rowsOf('acme', 150, '7') + rowsOf('acme', 1, '8'), 151), /could not create unique index|duplicate key/);
    assert.equal(await digest(), before);
    assert.equal(await nextTableExists(), false);
    assert.deepEqual((await bulkLoad(rowsOf('acme', 120, '9'), 120)).strategy, 'bulk');
  });

  it('drops a new table left by a load that died after committing it, and loads', async () => {
    await database.pool.query('CREATE TABLE historical_stocks_data_next (LIKE historical_stocks_data)');
    await database.pool.query("INSERT INTO historical_stocks_data_next SELECT * FROM historical_stocks_data WHERE company_name = 'keep'");
    const result = await bulkLoad(rowsOf('acme', 150, '7'), 150);
    assert.equal(result.strategy, 'bulk');
    const total = await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data');
    assert.equal(total.rows[0].n, 250);
  });

  it('runs two bulk loads at once one after the other (the table lock), each all-or-nothing', async () => {
    const [first, second] = await Promise.all([bulkLoad(rowsOf('acme', 150, '7'), 150), bulkLoad(rowsOf('acme', 130, '8'), 130)]);
    assert.deepEqual([first.strategy, second.strategy], ['bulk', 'bulk']);
    const acme = await database.pool.query("SELECT count(*)::int AS n, count(DISTINCT close_value)::int AS closes FROM historical_stocks_data WHERE company_name = 'acme'");
    assert.ok([150, 130].includes(acme.rows[0].n as number));
    assert.equal(acme.rows[0].closes, 1);
    const keep = await database.pool.query("SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = 'keep'");
    assert.equal(keep.rows[0].n, 100);
  });

  it('builds in one session when the pool has no connection to spare (never waits for its own)', { timeout: 30_000 }, async () => {
    const small = createPool(database.url, 2);
    try {
      const session = await new PgStockTable(small).beginReplace(['acme'], { estimatedRows: 150 });
      session.rows.end(rowsOf('acme', 150, '7'));
      const phases: string[] = [];
      const result = await session.commit(150, { onPhase: (phase) => phases.push(phase) });
      assert.equal(result.strategy, 'bulk');
      const indexes = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_index WHERE indrelid = 'public.historical_stocks_data'::regclass");
      assert.equal(phases.filter((phase) => /^building \S+$/.test(phase)).length, indexes.rows[0]!.n, phases.join(', '));
    } finally {
      await small.end();
    }
  });

  it('readers see the old rows until the commit, also while the new table is being indexed', async () => {
    const before = await digest();
    const session = await new PgStockTable(database.pool).beginReplace(['acme'], { estimatedRows: 150 });
    session.rows.end(rowsOf('acme', 150, '7'));
    const phases: string[] = [];
    let duringBuild: Promise<string> | null = null;
    const committing = session.commit(150, {
      onPhase: (phase) => {
        phases.push(phase);
        // A reader's query while the new table is committed under its own name and being indexed.
        if (phase.startsWith('building') && duringBuild === null) duringBuild = digest();
      },
    });
    await committing;
    assert.ok(duringBuild, `phases: ${phases.join(', ')}`);
    assert.equal(await duringBuild, before);
    assert.ok(phases.some((phase) => phase.includes('sessions')));
    assert.notEqual(await digest(), before);
  });

  const indexBuilds = (phases: string[]): string[] => phases.filter((phase) => /^building \S+$/.test(phase));
  const checkedOut = (): number => database.pool.totalCount - database.pool.idleCount;

  it('prepare builds the keys and indexes before the commit, unseen by readers; commit swaps them in', async () => {
    const before = await digest();
    const session = await new PgStockTable(database.pool).beginReplace(['acme'], { estimatedRows: 150 });
    session.rows.end(rowsOf('acme', 150, '7'));
    const prepared: string[] = [];
    session.prepare(150, { onPhase: (phase) => prepared.push(phase) });
    const liveIndexes = (await tableShape()).length;
    const builtOnNext = async (): Promise<number> =>
      (await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_index WHERE indrelid = to_regclass('public.historical_stocks_data_next')")).rows[0]!.n;
    for (let waited = 0; (await builtOnNext()) < liveIndexes; waited += 20) {
      assert.ok(waited < 10_000, `prepare built ${await builtOnNext()} of ${liveIndexes} indexes; phases: ${prepared.join(', ')}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await digest(), before);
    const committed: string[] = [];
    const result = await session.commit(150, { onPhase: (phase) => committed.push(phase) });
    assert.equal(result.strategy, 'bulk');
    assert.deepEqual([result.changes.totals.added, result.changes.totals.removed], [150, 100]);
    assert.equal(indexBuilds(prepared).length, liveIndexes);
    assert.deepEqual(indexBuilds(committed), [], 'commit builds nothing again');
    assert.ok(committed.includes('swapping the new table in'), committed.join(', '));
    const acme = await database.pool.query("SELECT count(*)::int AS n, max(close_value)::text AS close FROM historical_stocks_data WHERE company_name = 'acme'");
    assert.deepEqual(acme.rows[0], { n: 150, close: '7' });
    assert.equal(await nextTableExists(), false);
  });

  it('abort after prepare starts no further index build, and leaves the table, no new table and no session behind', async () => {
    const before = await digest();
    const session = await new PgStockTable(database.pool).beginReplace(['acme'], { estimatedRows: 150 });
    session.rows.end(rowsOf('acme', 150, '7'));
    const phases: string[] = [];
    session.prepare(150, { onPhase: (phase) => phases.push(phase) });
    await session.abort();
    assert.deepEqual(indexBuilds(phases), [], phases.join(', '));
    assert.equal(await digest(), before);
    assert.equal(await nextTableExists(), false);
    assert.equal(checkedOut(), 0);
    assert.equal((await bulkLoad(rowsOf('acme', 120, '9'), 120)).strategy, 'bulk');
  });

  it('commit with another count than prepared changes nothing', async () => {
    const before = await digest();
    const session = await new PgStockTable(database.pool).beginReplace(['acme'], { estimatedRows: 150 });
    session.rows.end(rowsOf('acme', 150, '7'));
    session.prepare(150);
    await assert.rejects(session.commit(151), /prepared for 150 rows but committed for 151/);
    assert.equal(await digest(), before);
    assert.equal(await nextTableExists(), false);
    assert.equal(checkedOut(), 0);
  });
});
