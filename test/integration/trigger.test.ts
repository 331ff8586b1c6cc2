import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { migrate } from '../../server/db/migrate';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { seedSynthetic } from '../../server/seed/synthetic';
import { startEventsServer } from '../../server/trigger/events-http-server';
import { MarkerWatcher } from '../../server/trigger/marker-watcher';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { testRunner } from '../helpers/runner';
import { startTestS3, type TestS3 } from '../helpers/s3';

const silent = { log: () => {} };

describe('.SUCCESS triggers', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let folder: string;
  let orchestrator: EmbeddedOrchestrator;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('trigger'), startTestS3()]);
    await migrate(database.pool);
    folder = await mkdtemp(join(tmpdir(), 'stockflow-trigger-'));
    orchestrator = new EmbeddedOrchestrator(new RunRepository(database.pool));
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
    await rm(folder, { recursive: true, force: true });
  });

  async function runCount(): Promise<number> {
    return (await database.pool.query('SELECT count(*)::int AS n FROM stockflow.runs')).rows[0].n;
  }

  it('starts exactly one run per marker on an S3 bucket, across duplicate scans and a restart', async () => {
    const monitored = await s3.store('monitored');
    await monitored.put('old/.SUCCESS', '');
    const watcher = (): MarkerWatcher => new MarkerWatcher({ pool: database.pool, store: monitored, orchestrator, intervalMs: 100, log: silent });
    // The first scan takes what was there before as history.
    assert.deepEqual(await watcher().scanOnce(), []);
    const before = await runCount();

    await monitored.put('batch-1/.SUCCESS', '');
    await monitored.put('batch-1/data.csv', 'x');
    const started = await watcher().scanOnce();
    assert.equal(started.length, 1);
    assert.deepEqual(await watcher().scanOnce(), []);
    // A restarted watcher is a new object with the same database: nothing fires again.
    assert.deepEqual(await watcher().scanOnce(), []);
    assert.equal(await runCount(), before + 1);
    const run = await orchestrator.getRun(started[0]!);
    assert.deepEqual(run?.trigger, { kind: 'event', by: `${monitored.location}batch-1/.SUCCESS` });

    // New content under the same key is a new event.
    await monitored.put('batch-1/.SUCCESS', 'again');
    assert.equal((await watcher().scanOnce()).length, 1);
    assert.equal(await runCount(), before + 2);
  });

  it('runs the pipeline end to end when a marker lands in the local folder bucket', async () => {
    const source = new FolderObjectStore(join(folder, 'source'));
    await seedSynthetic(source, 10);
    const monitored = new FolderObjectStore(join(folder, 'monitored'));
    const watcher = new MarkerWatcher({ pool: database.pool, store: monitored, orchestrator, intervalMs: 100, log: silent });
    await watcher.scanOnce();
    await monitored.put('2026-11-25/.SUCCESS', '');
    const [runId] = await watcher.scanOnce();
    await testRunner(database.pool, source).drain();
    const run = await orchestrator.getRun(runId!);
    assert.equal(run?.status, 'success');
    assert.deepEqual((run?.conf as { marker: { key: string } }).marker.key, '2026-11-25/.SUCCESS');
  });

  it('accepts S3 event deliveries over HTTP with the shared secret, once per marker', async () => {
    const secret = 'a-long-shared-secret-value';
    const server = await startEventsServer({ pool: database.pool, orchestrator, secret, port: 0, log: silent });
    try {
      const post = (body: string, headers: Record<string, string>) => fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
      const event = readFileSync('test/fixtures/s3-event-put.json', 'utf8');
      assert.equal((await post(event, {})).status, 401);
      assert.equal((await post(event, { authorization: 'Bearer wrong-secret-of-same-size!' })).status, 401);
      const before = await runCount();
      const first = await post(event, { authorization: `Bearer ${secret}` });
      assert.equal(first.status, 200);
      const firstBody = (await first.json()) as { runs: Array<{ created: boolean }>; ignored: number };
      assert.deepEqual(firstBody.runs.map((run) => run.created), [true]);
      assert.equal(firstBody.ignored, 1);
      // S3 delivers at least once: the same event again starts nothing.
      const again = (await (await post(event, { 'x-stockflow-secret': secret })).json()) as { runs: Array<{ created: boolean }> };
      assert.deepEqual(again.runs.map((run) => run.created), [false]);
      const wrapped = await fetch(`${server.url}?token=${secret}`, { method: 'POST', body: readFileSync('test/fixtures/sns-wrapped-s3-event.json', 'utf8') });
      assert.equal(wrapped.status, 200);
      assert.equal(await runCount(), before + 2);
      assert.equal((await post('{"Records":[{}]}', { authorization: `Bearer ${secret}` })).status, 400);
    } finally {
      await server.close();
    }
  });
});
