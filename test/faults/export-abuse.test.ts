import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { migrate } from '../../server/db/migrate';
import { EXPORT_SETTINGS, exportCsv, type ExportSettings } from '../../server/read-models/data-export';
import { createExportPool, ExportSlots } from '../../server/read-models/export-limits';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

/** Issue #9, item 15: CSV downloads nobody reads cannot starve the panel or block a load. */
describe('faults: unread CSV exports', () => {
  let database: TestDatabase;

  before(async () => {
    database = await createTestDatabase('faults_export');
    await migrate(database.pool);
    await database.pool.query(
      `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
       SELECT date '2000-01-01' + n, 1, 2, 0.5, 1.5, 100, 50, 0.5, 'acme' FROM generate_series(1, 12000) n`,
    );
  });
  after(async () => {
    await database?.drop();
  });

  it('keeps stalled exports on their own few connections, and ends them so a load can take its lock', async () => {
    const exportPool = createExportPool(database.url, undefined, { connections: 3, perUser: 2, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 1_000 });
    try {
      // Downloads that read their first chunk, then never read again.
      const stalled = await Promise.all(
        Array.from({ length: 3 }, async () => {
          const rows = exportCsv(exportPool, {});
          await rows.next();
          return rows;
        }),
      );
      assert.equal(exportPool.totalCount, 3);
      // The panel's own pool still answers at once.
      const started = Date.now();
      await database.pool.query('SELECT 1');
      assert.ok(Date.now() - started < 1000);
      // A load's swap needs an exclusive lock: it gets it once the idle transactions are ended.
      const client = await database.pool.connect();
      try {
        await client.query("SET lock_timeout = '10s'");
        await client.query('BEGIN');
        await client.query('LOCK TABLE historical_stocks_data IN ACCESS EXCLUSIVE MODE');
        await client.query('ROLLBACK');
      } finally {
        client.release();
      }
      // Their readers see an error, never a short file passed off as complete.
      await sleep(1_200);
      for (const rows of stalled)
        await assert.rejects(async () => {
          for (let next = await rows.next(); !next.done; next = await rows.next());
        });
    } finally {
      await exportPool.end();
    }
  });

  const modes: Array<[string, ExportSettings, string[]]> = [
    ['on one connection', { ...EXPORT_SETTINGS, split: { ...EXPORT_SETTINGS.split, splitAtRows: Number.POSITIVE_INFINITY } }, ['active']],
    ['cut over two connections', { ...EXPORT_SETTINGS, aheadBytes: 64 * 1024, split: { ...EXPORT_SETTINGS.split, splitAtRows: 1 } }, ['active', 'active']],
  ];
  for (const [mode, settings, sending] of modes)
    it(`ends a stalled export whose COPY is still sending (not idle, so no server timeout applies), ${mode}`, async () => {
      // More rows than the socket buffers hold: PostgreSQL stays blocked sending the COPY, holding its lock.
      await database.pool.query(
        `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
       SELECT date '2000-01-01' + (n % 9000), 1.25, 2.5, 0.75, 1.5, 100000, 50.123, 0.625, rpad('big' || (n / 9000), 56, 'x') FROM generate_series(1, 200000) n`,
      );
      await database.pool.query('ANALYZE historical_stocks_data');
      const exportPool = createExportPool(database.url, undefined, { connections: 3, perUser: 2, statementTimeoutMs: 60_000, idleInTransactionTimeoutMs: 1_000 });
      try {
        const rows = exportCsv(exportPool, {}, settings);
        await rows.next();
        // The second part's COPY starts a moment after the first rows arrive (a busy CI machine saw
        // only one): look again for a while, well inside the export's 1 s stall limit.
        let states: string[] = [];
        for (let tries = 0; tries < 12; tries += 1) {
          const activity = await database.pool.query<{ state: string }>(`SELECT state FROM pg_stat_activity WHERE query LIKE 'COPY (SELECT%' AND backend_type = 'client backend'`);
          states = activity.rows.map((row) => row.state);
          if (states.length >= sending.length) break;
          await sleep(50);
        }
        assert.deepEqual(states, sending, 'the COPYs are still sending');
        const client = await database.pool.connect();
        try {
          await client.query("SET lock_timeout = '10s'");
          const started = Date.now();
          await client.query('BEGIN');
          await client.query('LOCK TABLE historical_stocks_data IN ACCESS EXCLUSIVE MODE');
          await client.query('ROLLBACK');
          assert.ok(Date.now() - started < 8000, 'the lock came once the stalled export was ended, long before its statement timeout');
        } finally {
          client.release();
        }
        assert.equal(exportPool.totalCount, 0, 'its connections were closed, not kept');
        await assert.rejects(async () => {
          for (let next = await rows.next(); !next.done; next = await rows.next());
        }, /took nothing for 1000 ms/);
      } finally {
        await exportPool.end();
        await database.pool.query("DELETE FROM historical_stocks_data WHERE company_name LIKE 'big%'");
        await database.pool.query('ANALYZE historical_stocks_data');
      }
    });

  it('serves a slow but steady reader to the end: a connection whose COPY is done does not wait idle in its transaction', async () => {
    // About 3 MB: a dozen of the COPY parser's 256 KiB slabs.
    await database.pool.query(
      `INSERT INTO historical_stocks_data (stock_date, open_value, high_value, low_value, close_value, volume_traded, daily_percent_change, value_change, company_name)
       SELECT date '2000-01-01' + (n % 9000), 1.25, 2.5, 0.75, 1.5, 100000, 50.123, 0.625, 'slow' || (n / 9000) FROM generate_series(1, 60000) n`,
    );
    await database.pool.query('ANALYZE historical_stocks_data');
    const exportPool = createExportPool(database.url, undefined, { connections: 3, perUser: 2, statementTimeoutMs: 30_000, idleInTransactionTimeoutMs: 1_000 });
    try {
      for (const split of [Number.POSITIVE_INFINITY, 1]) {
        // A chunk every 300 ms: never a stall, yet the whole read outlasts the idle timeout.
        const rows = exportCsv(exportPool, {}, { ...EXPORT_SETTINGS, split: { ...EXPORT_SETTINGS.split, splitAtRows: split } });
        let lines = 0;
        const started = Date.now();
        for await (const chunk of rows) {
          for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, at + 1)) lines += 1;
          await sleep(300);
        }
        assert.ok(Date.now() - started > 1_500, 'the read took longer than the idle-in-transaction timeout');
        const count = await database.pool.query<{ n: number }>('SELECT count(*)::int AS n FROM historical_stocks_data');
        assert.equal(lines - 1, count.rows[0]!.n, `every row arrived (split at ${split})`);
      }
    } finally {
      await exportPool.end();
      await database.pool.query("DELETE FROM historical_stocks_data WHERE company_name LIKE 'slow%'");
    }
  });

  it('lets one user run two exports at a time', () => {
    const slots = new ExportSlots(2);
    const first = slots.acquire('u1');
    const second = slots.acquire('u1');
    assert.ok(first && second);
    assert.equal(slots.acquire('u1'), null);
    assert.ok(slots.acquire('u2'), 'other users are not affected');
    first();
    first();
    assert.ok(slots.acquire('u1'), 'a finished export frees its slot, once');
    assert.equal(slots.acquire('u1'), null);
  });
});
