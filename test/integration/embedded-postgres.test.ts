import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';

import pg from 'pg';

import { startEmbeddedPostgres } from '../../server/db/embedded-postgres';

describe('embedded PostgreSQL', () => {
  const dirs: string[] = [];
  after(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('starts a real server off 5432, keeps its data across restarts and stops cleanly', { timeout: 120_000 }, async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'stockflow-embedded-'));
    dirs.push(dataDir);
    const port = 55000 + Math.floor(Math.random() * 1000);
    const first = await startEmbeddedPostgres({ dataDir, port });
    assert.match(first.url, new RegExp(`:${port}/stockflow$`));
    const client = new pg.Client({ connectionString: first.url });
    await client.connect();
    await client.query('CREATE TABLE kept (value text)');
    await client.query("INSERT INTO kept VALUES ('still here')");
    await client.end();
    await first.stop();

    const second = await startEmbeddedPostgres({ dataDir, port });
    assert.equal(second.url, first.url, 'the same role and password after a restart');
    assert.match(second.url, /^postgres:\/\/stockflow_app:[\w-]{40,}@127\.0\.0\.1:/);
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    const rows = await again.query('SELECT value FROM kept');
    assert.deepEqual(rows.rows, [{ value: 'still here' }]);
    await again.end();
    await second.stop();
  });

  it('keeps the cluster outside a data dir the postgres user cannot reach (e.g. under /root)', { timeout: 120_000, skip: process.getuid?.() === 0 ? false : 'only as root' }, async () => {
    const privateParent = await mkdtemp(join(tmpdir(), 'stockflow-private-'));
    dirs.push(privateParent);
    await chmod(privateParent, 0o700);
    const lines: string[] = [];
    const database = await startEmbeddedPostgres({ dataDir: join(privateParent, '.stockflow'), port: 55000 + Math.floor(Math.random() * 1000), log: (line) => lines.push(line) });
    try {
      const moved = lines.find((line) => line.includes('lives in'));
      assert.match(moved ?? '', /lives in \/var\/lib\/stockflow\/[0-9a-f]{12}\/postgres/);
      const clusterParent = dirname(/lives in (\S+)/.exec(moved!)![1]!);
      dirs.push(clusterParent);
      // The passwords stay with the cluster, private to the user running stockflow.
      for (const name of ['postgres.superuser-password', 'postgres.app-password']) assert.equal((await stat(join(clusterParent, name))).mode & 0o777, 0o600);
      const client = new pg.Client({ connectionString: database.url });
      await client.connect();
      assert.equal((await client.query('SELECT 1 AS one')).rows[0].one, 1);
      await client.end();
    } finally {
      await database.stop();
    }
  });
});
