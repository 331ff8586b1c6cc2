import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { withClient } from '../../server/db/checked-out';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('withClient', () => {
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('checked_out');
  });
  after(async () => {
    await database?.drop();
  });

  it('outlives a connection dropped while it is checked out and idle, and does not hand it out again', async () => {
    // What would end a real process: the 'error' pg emits on an idle checked-out client nobody listens to.
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    let pid = 0;
    try {
      await assert.rejects(
        withClient(database.pool, async (client) => {
          pid = (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
          await database.pool.query('SELECT pg_terminate_backend($1)', [pid]);
          await new Promise((resolve) => setTimeout(resolve, 200));
          await client.query('SELECT 1');
        }),
      );
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    const next = await withClient(database.pool, async (client) => (await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid);
    assert.notEqual(next, pid);
  });
});
