import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { migrate } from '../../server/db/migrate';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { seedSynthetic } from '../../server/seed/synthetic';
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
});
