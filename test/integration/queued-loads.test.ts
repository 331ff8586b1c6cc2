import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { PgStockTable } from '../../server/adapters/pg-stock-table';
import { migrate } from '../../server/db/migrate';
import type { ReplaceSession } from '../../server/ports/stock-table';
import { createTestDatabase, heapFetchesInDateOrder, seedOtherCompanies, type TestDatabase } from '../helpers/postgres';

/**
 * Loads queued on the table lock (the shards of a run, mapped side by side): only the last one
 * vacuums and analyzes. A VACUUM or ANALYZE by an earlier one would wait for every load queued
 * behind it before that load's step could end.
 */
describe('loads queued on the table lock: one VACUUM, by the last', () => {
  let database: TestDatabase;
  let table: PgStockTable;

  before(async () => {
    database = await createTestDatabase('queued_loads');
    await migrate(database.pool);
    table = new PgStockTable(database.pool);
    // Every load below is incremental: its company is a small share of the table.
    await seedOtherCompanies(database.pool);
  });
  after(async () => {
    await database?.drop();
  });

  // Each batch's volumes differ from every earlier batch's: a load rewrites all its company's rows
  // (an incremental load writes only rows that differ), so every VACUUM here has dead rows to clear.
  let batches = 0;
  const rowsOf = (company: string, count: number): string => {
    const volume = 100 + (batches += 1);
    return Array.from({ length: count }, (_, n) => `${new Date(Date.UTC(2001, 0, 1 + n)).toISOString().slice(0, 10)},1,2,0.5,1.5,${volume},50,0.5,${company}\n`).join('');
  };

  async function state(): Promise<{ heapFetches: number; manualVacuums: number }> {
    await database.pool.query('SELECT pg_stat_clear_snapshot()');
    const stats = await database.pool.query<{ vacuums: string }>("SELECT vacuum_count AS vacuums FROM pg_stat_user_tables WHERE relid = 'public.historical_stocks_data'::regclass");
    return { heapFetches: await heapFetchesInDateOrder(database.pool), manualVacuums: Number(stats.rows[0]!.vacuums) };
  }

  /** Until a session holds the table lock a load takes (granted), or waits for it (or for `mode`). */
  async function waitForTableLock(state: 'held' | 'queued', mode = 'ShareRowExclusiveLock'): Promise<void> {
    for (let tries = 0; tries < 500; tries += 1) {
      const result = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'public.historical_stocks_data'::regclass AND mode = $2 AND granted = $1", [
        state === 'held',
        mode,
      ]);
      if (result.rows[0]!.n > 0) return;
      await sleep(10);
    }
    throw new Error(`no session ${state === 'held' ? 'held' : 'waited for'} the table's ${mode}`);
  }

  /**
   * An incremental load with its rows written and ready (prepare): it takes the table once its
   * rows are staged, and holds it until its commit. `extra` lines go after the rows.
   */
  async function preparedLoad(company: string, rows: number, extra = ''): Promise<{ session: ReplaceSession; count: number }> {
    const session = await table.beginReplace(company ? [company] : [], { estimatedRows: rows });
    session.rows.write(company ? rowsOf(company, rows) + extra : '');
    const count = rows + extra.split('\n').filter(Boolean).length;
    session.prepare(count);
    return { session, count };
  }

  /** acme's load holding the table with `rows` rows, and zeta's, with `zetaRows`, queued behind it. */
  async function acmeWithZetaQueued(rows: number, zetaRows = rows): Promise<{ first: ReplaceSession; second: ReplaceSession }> {
    const { session: first } = await preparedLoad('acme', rows);
    await waitForTableLock('held');
    const { session: second } = await preparedLoad('zeta', zetaRows);
    await waitForTableLock('queued');
    return { first, second };
  }

  async function commitRecordingPhases(session: ReplaceSession, rows: number): Promise<string[]> {
    const phases: string[] = [];
    await session.commit(rows, { onPhase: (phase) => phases.push(phase) });
    return phases;
  }

  it('a load with another queued behind it leaves the housekeeping to it; the last one vacuums and analyzes', { timeout: 30_000 }, async () => {
    const before = await state();
    const { first, second } = await acmeWithZetaQueued(500);

    // Before, the first load's VACUUM waited for the queued load to commit: its step could not end.
    const timer = new AbortController();
    const firstPhases = await Promise.race([
      commitRecordingPhases(first, 500).finally(() => timer.abort()),
      sleep(10_000, undefined, { signal: timer.signal }).then(() => Promise.reject(new Error("the first load's commit waited for the load queued behind it"))),
    ]);
    assert.equal(firstPhases.at(-1), 'leaving VACUUM and ANALYZE to the load waiting for the table', firstPhases.join(', '));
    const afterFirst = await state();
    assert.equal(afterFirst.manualVacuums, before.manualVacuums, 'no VACUUM by the first load');
    assert.ok(afterFirst.heapFetches > 0, "the first load's rows wait for the last load's VACUUM");

    assert.equal((await commitRecordingPhases(second, 500)).at(-1), 'vacuuming and analyzing');
    const afterSecond = await state();
    assert.equal(afterSecond.manualVacuums, before.manualVacuums + 1, 'one VACUUM for the two loads');
    assert.equal(afterSecond.heapFetches, 0, "both loads' rows all-visible");
  });

  it('stages its rows while another load holds the table, and takes the table only then', { timeout: 30_000 }, async () => {
    const { session: first } = await preparedLoad('acme', 300);
    await waitForTableLock('held');
    const second = await table.beginReplace(['zeta'], { estimatedRows: 300 });
    second.rows.write(rowsOf('zeta', 300));
    const staged = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'public.historical_stocks_data'::regclass AND NOT granted");
    assert.equal(staged.rows[0]!.n, 0, 'nothing waits for the table while the rows are being staged');
    second.prepare(300);
    await waitForTableLock('queued');
    await first.commit(300);
    const result = await second.commit(300);
    assert.equal(result.rowsLoaded, 300);
    const leftover = await database.pool.query("SELECT count(*)::int AS n FROM pg_class WHERE relname = 'stockflow_rows_new'");
    assert.equal(leftover.rows[0].n, 0, 'the staged rows are dropped with the load');
  });

  it('sees a load queued on the table a bulk load swapped out (the waiter moves to the new one)', { timeout: 30_000 }, async () => {
    // An estimate larger than the table: the bulk path, which holds the table from its start and
    // renames a new table into place.
    const first = await table.beginReplace(['acme'], { estimatedRows: 1_000_000 });
    first.rows.write(rowsOf('acme', 300));
    await waitForTableLock('held');
    const { session: second } = await preparedLoad('zeta', 300);
    await waitForTableLock('queued');
    const firstPhases = await commitRecordingPhases(first, 300);
    assert.ok(
      firstPhases.some((phase) => phase.startsWith('building')),
      `a bulk load: ${firstPhases.join(', ')}`,
    );
    assert.equal(firstPhases.at(-1), 'leaving VACUUM and ANALYZE to the load waiting for the table', firstPhases.join(', '));
    assert.equal((await commitRecordingPhases(second, 300)).at(-1), 'vacuuming and analyzing');
    assert.equal((await state()).heapFetches, 0);
  });

  it('the last load of a queue vacuums what the loads before it left, also when it changes no row', { timeout: 30_000 }, async () => {
    const before = await state();
    const { session: first } = await preparedLoad('acme', 400);
    await waitForTableLock('held');
    const { session: second } = await preparedLoad('', 0);
    await waitForTableLock('queued');
    await commitRecordingPhases(first, 400);
    assert.ok((await state()).heapFetches > 0);

    assert.equal((await commitRecordingPhases(second, 0)).at(-1), 'vacuuming');
    const afterSecond = await state();
    assert.equal(afterSecond.manualVacuums, before.manualVacuums + 1);
    assert.equal(afterSecond.heapFetches, 0);
  });

  it('the last load of a queue analyzes the table a bulk load before it swapped in, also when it changes no row', { timeout: 30_000 }, async () => {
    const analyzed = async (): Promise<boolean> =>
      (await database.pool.query<{ analyzed: boolean }>("SELECT EXISTS (SELECT 1 FROM pg_stats WHERE schemaname = 'public' AND tablename = 'historical_stocks_data') AS analyzed")).rows[0]!.analyzed;
    const first = await table.beginReplace(['acme'], { estimatedRows: 1_000_000 });
    first.rows.write(rowsOf('acme', 350));
    await waitForTableLock('held');
    const { session: second } = await preparedLoad('', 0);
    await waitForTableLock('queued');
    assert.equal((await commitRecordingPhases(first, 350)).at(-1), 'leaving VACUUM and ANALYZE to the load waiting for the table');
    assert.equal(await analyzed(), false, 'the swapped-in table has no statistics yet');

    assert.equal((await commitRecordingPhases(second, 0)).at(-1), 'vacuuming and analyzing');
    assert.equal(await analyzed(), true);
    assert.equal((await state()).heapFetches, 0);
  });

  // Two rows for one day: refused once the load has the table (the staged rows are checked there).
  const duplicateDay = (company: string): string => `2001-01-01,1,2,0.5,1.5,1,50,0.5,${company}\n`;

  it('the last load of a queue that fails still vacuums and analyzes what the loads before it left', { timeout: 30_000 }, async () => {
    const before = await state();
    const { session: first } = await preparedLoad('acme', 450);
    await waitForTableLock('held');
    const { session: second, count } = await preparedLoad('zeta', 450, duplicateDay('zeta'));
    await waitForTableLock('queued');
    assert.equal((await commitRecordingPhases(first, 450)).at(-1), 'leaving VACUUM and ANALYZE to the load waiting for the table');
    assert.ok((await state()).heapFetches > 0);

    const phases: string[] = [];
    await assert.rejects(second.commit(count, { onPhase: (phase) => phases.push(phase) }), /duplicate key: two rows for zeta on 2001-01-01/);
    assert.equal(phases.at(-1), 'rolled back; vacuuming and analyzing for the loads before it');
    const afterSecond = await state();
    assert.equal(afterSecond.manualVacuums, before.manualVacuums + 1);
    assert.equal(afterSecond.heapFetches, 0, "the first load's rows all-visible");
  });

  it('a load that fails with another queued behind it does not wait for that one to vacuum', { timeout: 30_000 }, async () => {
    const { session: first, count } = await preparedLoad('acme', 300, duplicateDay('acme'));
    await waitForTableLock('held');
    const { session: second } = await preparedLoad('zeta', 300);
    await waitForTableLock('queued');
    const phases: string[] = [];
    const started = performance.now();
    // The queued load gets the table at the rollback and keeps it (uncommitted) while this one ends.
    await assert.rejects(first.commit(count, { onPhase: (phase) => phases.push(phase) }), /duplicate key/);
    assert.ok(performance.now() - started < 5_000, `the failed commit took ${Math.round(performance.now() - started)} ms`);
    assert.equal((await commitRecordingPhases(second, 300)).at(-1), 'vacuuming and analyzing');
    assert.equal((await state()).heapFetches, 0);
  });

  it('runs afterCommit (publishing) beside the VACUUM, once the rows are committed', { timeout: 30_000 }, async () => {
    const { session: load } = await preparedLoad('acme', 200);
    await waitForTableLock('held');
    // A session queued for a lock that VACUUM's conflicts with gets the table at the COMMIT, before
    // the VACUUM asks: the VACUUM then waits for it, and it waits for afterCommit to have run.
    const blocker = await database.pool.connect();
    try {
      await blocker.query('BEGIN');
      const blocking = blocker.query('LOCK TABLE historical_stocks_data IN SHARE UPDATE EXCLUSIVE MODE');
      await waitForTableLock('queued', 'ShareUpdateExclusiveLock');
      let committedRows = -1;
      const result = await load.commit(200, {
        afterCommit: async () => {
          await blocking;
          const seen = await database.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = 'acme'");
          committedRows = seen.rows[0]!.n;
          await blocker.query('COMMIT');
        },
      });
      assert.equal(result.rowsLoaded, 200);
      assert.equal(committedRows, 200, 'afterCommit sees the committed rows');
    } finally {
      await blocker.query('ROLLBACK').catch(() => {});
      blocker.release();
    }
  });
});
