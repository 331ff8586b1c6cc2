import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, utimes } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import {
  type DeleteMarkerEntry,
  GetBucketVersioningCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  type ListObjectVersionsCommandOutput,
  type ObjectVersion as S3Version,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import type pg from 'pg';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { S3ObjectStore } from '../../server/adapters/s3-object-store';
import { migrate } from '../../server/db/migrate';
import { createPool } from '../../server/db/pool';
import { readMigrations } from '../../server/db/sql-files';
import type { ObjectStore } from '../../server/ports/object-store';
import type { Orchestrator, TriggerRequest } from '../../server/ports/orchestrator';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { seedSynthetic } from '../../server/seed/synthetic';
import { type Marker, markerRunId } from '../../server/trigger/marker-run-id';
import { fireMarker, MarkerWatcher } from '../../server/trigger/marker-watcher';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { testRunner } from '../helpers/runner';
import { startTestS3, type TestS3 } from '../helpers/s3';

const silent = { log: () => {} };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function watcherOn(pool: pg.Pool, store: ObjectStore): MarkerWatcher {
  return new MarkerWatcher({ pool, store, orchestrator: new EmbeddedOrchestrator(new RunRepository(pool)), intervalMs: 100, log: silent });
}

async function runCount(pool: pg.Pool): Promise<number> {
  return (await pool.query('SELECT count(*)::int AS n FROM stockflow.runs')).rows[0].n;
}

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

  it('starts one run per upload of the same empty marker on S3, never again for a duplicate scan, a restart or a redelivery', async () => {
    const monitored = await s3.store('monitored');
    await monitored.put('old/.SUCCESS', '');
    const watcher = (): MarkerWatcher => watcherOn(database.pool, monitored);
    // The first scan takes what was there before as history.
    assert.deepEqual(await watcher().scanOnce(), []);
    const before = await runCount(database.pool);

    await monitored.put('batch-1/.SUCCESS', '');
    await monitored.put('batch-1/data.csv', 'x');
    const same = watcher();
    const [first, ...none] = await same.scanOnce();
    assert.deepEqual(none, []);
    assert.deepEqual(await same.scanOnce(), []);
    // A restarted watcher is a new object with the same database: nothing fires again.
    assert.deepEqual(await watcher().scanOnce(), []);
    const run = await orchestrator.getRun(first!);
    assert.deepEqual(run?.trigger, { kind: 'event', by: `${monitored.location}batch-1/.SUCCESS` });
    // A second delivery of the same upload (as the events endpoint would make) names the same run.
    const marker = (run?.conf as { marker: Marker }).marker;
    assert.deepEqual(await fireMarker(database.pool, orchestrator, marker, silent, 'events'), { runId: first, created: false });

    // The same empty bytes again (same ETag) are a new upload; s3rver's LastModified has 1 s steps.
    await sleep(1_100);
    await monitored.put('batch-1/.SUCCESS', '');
    const [second, ...alone] = await watcher().scanOnce();
    assert.deepEqual(alone, []);
    assert.notEqual(second, first);
    assert.deepEqual(await watcher().scanOnce(), []);
    assert.equal(await runCount(database.pool), before + 2);
  });

  it('fails only the scan, not the process, when its connection drops while it triggers a run; the next scan fires nothing twice', async () => {
    const monitored = await s3.store('monitored-drop');
    assert.deepEqual(await watcherOn(database.pool, monitored).scanOnce(), []);
    await monitored.put('batch/.SUCCESS', '');
    // While the run is triggered (an HTTP call to Airflow in production) the scan's transaction is
    // idle: the server going away then emits 'error' on that client, which nobody else hears.
    const dropping: Orchestrator = Object.assign(Object.create(orchestrator) as Orchestrator, {
      async trigger(request: TriggerRequest) {
        await database.pool.query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction' AND pid <> pg_backend_pid()");
        await sleep(200);
        return orchestrator.trigger(request);
      },
    });
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown): void => void uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const watcher = new MarkerWatcher({ pool: database.pool, store: monitored, orchestrator: dropping, intervalMs: 100, log: silent });
      await assert.rejects(watcher.scanOnce());
      assert.deepEqual(uncaught, []);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    // The run was started before the scan failed: the next scan triggers the same run id again,
    // which starts nothing new, and records the marker.
    const before = await runCount(database.pool);
    const { runs } = await orchestrator.listRuns({ limit: 1 });
    assert.equal(runs[0]?.trigger.by, `${monitored.location}batch/.SUCCESS`);
    assert.deepEqual(await watcherOn(database.pool, monitored).scanOnce(), []);
    assert.deepEqual(await watcherOn(database.pool, monitored).scanOnce(), []);
    assert.equal(await runCount(database.pool), before);
  });

  it('fires no marker already there when watchers on several processes start together on a fresh database', async () => {
    const fresh = await createTestDatabase('trigger_race');
    const pools = [fresh.pool, createPool(fresh.url), createPool(fresh.url)];
    try {
      await migrate(fresh.pool);
      for (const round of [1, 2, 3]) {
        const monitored = await s3.store(`race-${round}`);
        for (let day = 0; day < 20; day += 1) await monitored.put(`day-${day}/.SUCCESS`, '');
        const watchers = pools.map((pool) => watcherOn(pool, monitored));
        assert.deepEqual(await Promise.all(watchers.map((watcher) => watcher.scanOnce())), [[], [], []], `round ${round}`);
        // And a marker that lands afterwards starts one run, however many watchers see it.
        await monitored.put('day-20/.SUCCESS', '');
        assert.equal((await Promise.all(watchers.map((watcher) => watcher.scanOnce()))).flat().length, 1, `round ${round}`);
      }
      assert.equal(await runCount(fresh.pool), 3);
    } finally {
      await Promise.all(pools.slice(1).map((pool) => pool.end()));
      await fresh.drop();
    }
  });

  it('fires a folder marker only once it has settled: one run for a burst of writes, one per re-touch', async () => {
    const monitored = new FolderObjectStore(join(folder, 'settle'));
    const path = join(folder, 'settle', 'a', '.SUCCESS');
    const watcher = watcherOn(database.pool, monitored);
    assert.deepEqual(await watcher.scanOnce(), []);

    // Rewritten twice between polls: seen once, then fired once it is unchanged.
    await monitored.put('a/.SUCCESS', '');
    await monitored.put('a/.SUCCESS', '');
    assert.deepEqual(await watcher.scanOnce(), []);
    assert.equal((await watcher.scanOnce()).length, 1);
    assert.deepEqual(await watcher.scanOnce(), []);

    // Being written: the second poll sees it changed, so it fires on the third.
    await appendFile(path, 'still ');
    assert.deepEqual(await watcher.scanOnce(), []);
    await appendFile(path, 'writing');
    assert.deepEqual(await watcher.scanOnce(), []);
    assert.equal((await watcher.scanOnce()).length, 1);

    // Touched again (same bytes, same inode, new mtime): a new upload.
    await utimes(path, new Date(), new Date(Date.now() + 2_000));
    assert.deepEqual(await watcher.scanOnce(), []);
    assert.equal((await watcher.scanOnce()).length, 1);

    // A restart forgets what was waiting: the marker fires one poll later, still once.
    await utimes(path, new Date(), new Date(Date.now() + 4_000));
    assert.deepEqual(await watcher.scanOnce(), []);
    const restarted = watcherOn(database.pool, monitored);
    assert.deepEqual(await restarted.scanOnce(), []);
    assert.equal((await restarted.scanOnce()).length, 1);
    assert.deepEqual(await watcher.scanOnce(), []);
  });

  it('upgrades a bucket watched by ETag without re-firing its markers, while a new key still fires', async () => {
    const old = await createTestDatabase('trigger_upgrade');
    try {
      await migrate(
        old.pool,
        readMigrations().filter((migration) => migration.version < 7),
      );
      const monitored = new FolderObjectStore(join(folder, 'upgrade'));
      await monitored.put('day-1/.SUCCESS', '');
      // What the ETag-era watcher left: the bucket watched, day-1 fired under its ETag.
      await old.pool.query('INSERT INTO stockflow.watched_buckets (bucket) VALUES ($1)', [monitored.location]);
      await old.pool.query(`INSERT INTO stockflow.markers (bucket, key, etag, run_id, fired) VALUES ($1, 'day-1/.SUCCESS', '0-19a', 'event__old', true)`, [monitored.location]);
      await monitored.put('day-2/.SUCCESS', '');
      await migrate(old.pool);

      const watcher = watcherOn(old.pool, monitored);
      assert.deepEqual(await watcher.scanOnce(), []);
      const [day2, ...rest] = await watcher.scanOnce();
      assert.deepEqual(rest, []);
      assert.deepEqual((await new EmbeddedOrchestrator(new RunRepository(old.pool)).getRun(day2!))?.trigger.by, `${monitored.location}/day-2/.SUCCESS`);
      const versions = await old.pool.query(`SELECT version FROM stockflow.markers WHERE key = 'day-1/.SUCCESS' AND run_id IS NOT NULL`);
      assert.deepEqual(versions.rows, [{ version: 'etag:0-19a' }]);

      // Only the scan right after the upgrade is lenient: a later touch of day-1 is a new upload.
      await utimes(join(folder, 'upgrade', 'day-1', '.SUCCESS'), new Date(), new Date(Date.now() + 2_000));
      assert.deepEqual(await watcher.scanOnce(), []);
      assert.equal((await watcher.scanOnce()).length, 1);
      assert.equal(await runCount(old.pool), 2);
    } finally {
      await old.drop();
    }
  });

  it('runs the pipeline end to end when a marker lands in the local folder bucket', async () => {
    const source = new FolderObjectStore(join(folder, 'source'));
    await seedSynthetic(source, 10);
    const monitored = new FolderObjectStore(join(folder, 'monitored'));
    const watcher = watcherOn(database.pool, monitored);
    await watcher.scanOnce();
    await monitored.put('2026-11-25/.SUCCESS', '');
    assert.deepEqual(await watcher.scanOnce(), []);
    const [runId] = await watcher.scanOnce();
    await testRunner(database.pool, source).drain();
    const run = await orchestrator.getRun(runId!);
    assert.equal(run?.status, 'success');
    assert.deepEqual((run?.conf as { marker: { key: string } }).marker.key, '2026-11-25/.SUCCESS');
  });
});

// Neither s3rver 3.7 (ListObjectVersions: 405) nor fauxqs 1.9 (no versioning) emulates a versioned
// bucket, and the emulators that do need Node >= 22: the SDK client is mocked, with responses in
// ListObjectVersions' documented shape (latest flags, delete markers, "null" ids, marker paging).
describe('.SUCCESS triggers on a versioned S3 bucket', () => {
  let database: TestDatabase;
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  const s3 = mockClient(client);
  const store = new S3ObjectStore({ bucket: 'versioned-bucket', prefix: '', region: 'us-east-1', forcePathStyle: false }, client);
  const EMPTY = '"d41d8cd98f00b204e9800998ecf8427e"';

  before(async () => {
    database = await createTestDatabase('trigger_versioned');
    await migrate(database.pool);
  });
  after(async () => {
    s3.restore();
    await database?.drop();
  });

  function version(key: string, versionId: string, isLatest: boolean, lastModified = '2026-11-25T10:00:00.000Z'): S3Version {
    return { Key: key, VersionId: versionId, IsLatest: isLatest, LastModified: new Date(lastModified), ETag: EMPTY, Size: 0, StorageClass: 'STANDARD', Owner: { ID: 'owner' } };
  }
  function deleteMarker(key: string, versionId: string): DeleteMarkerEntry {
    return { Key: key, VersionId: versionId, IsLatest: true, LastModified: new Date('2026-11-25T11:00:00.000Z'), Owner: { ID: 'owner' } };
  }
  /** The bucket as two pages, split after a/data.csv the way S3 pages by key and version markers. */
  function bucket(status: 'Enabled' | 'Suspended', page1: S3Version[], page2: S3Version[], deleteMarkers: DeleteMarkerEntry[]): void {
    s3.reset();
    s3.on(GetBucketVersioningCommand).resolves({ Status: status });
    const common = { Name: 'versioned-bucket', Prefix: '', MaxKeys: 1000, $metadata: {} };
    s3.on(ListObjectVersionsCommand).callsFake((input): ListObjectVersionsCommandOutput => {
      if (!input.KeyMarker) return { ...common, IsTruncated: true, Versions: page1, NextKeyMarker: 'a/data.csv', NextVersionIdMarker: 'd1' };
      assert.deepEqual([input.KeyMarker, input.VersionIdMarker], ['a/data.csv', 'd1']);
      return { ...common, IsTruncated: false, KeyMarker: input.KeyMarker, VersionIdMarker: input.VersionIdMarker, Versions: page2, DeleteMarkers: deleteMarkers };
    });
  }

  it('fires the latest version of each marker once, skipping old versions and deleted markers', async () => {
    const watcher = watcherOn(database.pool, store);
    // b/.SUCCESS predates versioning (id "null"); c/.SUCCESS was deleted (its latest is a delete marker).
    bucket(
      'Enabled',
      [version('a/.SUCCESS', 'a1', true), version('a/data.csv', 'd1', true)],
      [version('b/.SUCCESS', 'null', true), version('c/.SUCCESS', 'c1', false)],
      [deleteMarker('c/.SUCCESS', 'cx')],
    );
    assert.deepEqual(await watcher.scanOnce(), []);
    const calls = s3.commandCalls(ListObjectVersionsCommand);
    assert.deepEqual(
      calls.map((call) => call.args[0].input.Bucket),
      ['versioned-bucket', 'versioned-bucket'],
    );

    // a re-uploaded (new latest a2), c given an older version under its delete marker: only a2 fires,
    // under the run id an S3 event carrying versionId a2 names too.
    bucket(
      'Enabled',
      [version('a/.SUCCESS', 'a2', true), version('a/.SUCCESS', 'a1', false), version('a/data.csv', 'd1', true)],
      [version('b/.SUCCESS', 'null', true), version('c/.SUCCESS', 'c2', false), version('c/.SUCCESS', 'c1', false)],
      [deleteMarker('c/.SUCCESS', 'cx')],
    );
    assert.deepEqual(await watcher.scanOnce(), [markerRunId({ bucket: store.location, key: 'a/.SUCCESS', version: 'a2' })]);
    assert.deepEqual(await watcherOn(database.pool, store).scanOnce(), []);
  });

  it('tells uploads made while versioning is suspended (id "null") apart by LastModified', async () => {
    const suspended = new S3ObjectStore({ bucket: 'suspended-bucket', prefix: '', region: 'us-east-1', forcePathStyle: false }, client);
    const watcher = watcherOn(database.pool, suspended);
    const page1 = [version('a/.SUCCESS', 'a1', true), version('a/data.csv', 'd1', true)];
    bucket('Suspended', page1, [version('b/.SUCCESS', 'null', true, '2026-11-25T10:00:00.000Z')], []);
    assert.deepEqual(await watcher.scanOnce(), []);
    bucket('Suspended', page1, [version('b/.SUCCESS', 'null', true, '2026-11-25T12:00:00.000Z')], []);
    const [run, ...rest] = await watcher.scanOnce();
    assert.deepEqual(rest, []);
    const conf = (await new EmbeddedOrchestrator(new RunRepository(database.pool)).getRun(run!))?.conf as { marker: Marker };
    assert.equal(conf.marker.version, '2026-11-25T12:00:00.000Z d41d8cd98f00b204e9800998ecf8427e');
    assert.deepEqual(await watcher.scanOnce(), []);
  });

  it('lists plainly where versioning is not implemented, and refuses to guess when it may not ask', async () => {
    const plain = new S3ObjectStore({ bucket: 'plain-bucket', prefix: '', region: 'us-east-1', forcePathStyle: false }, client);
    const failure = (name: string, status: number): S3ServiceException => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });
    s3.reset();
    s3.on(GetBucketVersioningCommand).rejects(failure('NotImplemented', 501));
    s3.on(ListObjectsV2Command).resolves({ IsTruncated: false, Contents: [{ Key: 'a/.SUCCESS', ETag: EMPTY, LastModified: new Date('2026-11-25T10:00:00.000Z'), Size: 0 }] });
    const found = [];
    for await (const object of plain.listVersions('')) found.push(object);
    assert.deepEqual(found, [{ key: 'a/.SUCCESS', version: '2026-11-25T10:00:00.000Z d41d8cd98f00b204e9800998ecf8427e', settled: true }]);

    s3.reset();
    s3.on(GetBucketVersioningCommand).rejects(failure('AccessDenied', 403));
    await assert.rejects(watcherOn(database.pool, plain).scanOnce(), /s3:GetBucketVersioning/);
    assert.equal(s3.commandCalls(ListObjectVersionsCommand).length + s3.commandCalls(ListObjectsV2Command).length, 0);
  });
});
