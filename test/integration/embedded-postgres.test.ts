import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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
    const again = new pg.Client({ connectionString: second.url });
    await again.connect();
    const rows = await again.query('SELECT value FROM kept');
    assert.deepEqual(rows.rows, [{ value: 'still here' }]);
    await again.end();
    await second.stop();
  });
});
