import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, beforeEach, describe, it } from 'node:test';

import { parseBucketLocation } from '../../server/config';
import { migrate } from '../../server/db/migrate';
import type { Orchestrator } from '../../server/ports/orchestrator';
import { loadMarkersSeen, markerOfRun, type MarkerSeen } from '../../server/read-models/markers-seen';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { recordThrottled, unreadEntries } from '../../server/trigger/delivery-decisions';
import { startEventsServer } from '../../server/trigger/events-http-server';
import { pruneMarkerDecisions, recordMarkerDecisions } from '../../server/trigger/marker-log';
import { markerRunId } from '../../server/trigger/marker-run-id';
import { fireMarker, MarkerWatcher } from '../../server/trigger/marker-watcher';
import { httpsGetter, SnsVerifier } from '../../server/trigger/sns-signature';
import { type FakeSns, startFakeSns } from '../fixtures/fake-sns';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const silent = { log: () => {} };
const SECRET = 'a-long-shared-secret-value';
const TOPIC = 'arn:aws:sns:us-east-1:123456789012:stockflow-markers';
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(`test/fixtures/${name}`, 'utf8')) as Record<string, unknown>;

/** The fields a test checks, without ids and times. */
const fieldsOf = (entry: MarkerSeen) => ({
  source: entry.source,
  bucket: entry.bucket,
  key: entry.key,
  version: entry.version,
  decision: entry.decision,
  reason: entry.reason,
  runId: entry.runId,
  repeats: entry.repeats,
});

describe('markers seen: every decision on a marker is logged once, with its fields', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let sns: FakeSns;
  let orchestrator: EmbeddedOrchestrator;
  let server: { url: string; close(): Promise<void> };

  before(async () => {
    [database, s3, sns] = await Promise.all([createTestDatabase('markers_seen'), startTestS3(), startFakeSns()]);
    await migrate(database.pool);
    orchestrator = new EmbeddedOrchestrator(new RunRepository(database.pool));
    server = await startEventsServer({
      pool: database.pool,
      orchestrator,
      secret: SECRET,
      port: 0,
      log: silent,
      bucket: parseBucketLocation('s3://stockflow-monitored'),
      snsTopicArn: TOPIC,
      snsVerifier: new SnsVerifier({ isTrustedHost: (host) => host === sns.host, httpsGet: httpsGetter({ ca: sns.ca }) }),
    });
  });
  after(async () => {
    await server?.close();
    await sns?.close();
    await s3?.close();
    await database?.drop();
  });
  // Each test reads only what it caused.
  beforeEach(async () => {
    await database.pool.query('DELETE FROM stockflow.marker_decisions');
  });

  async function logged(filters: Record<string, string> = {}): Promise<MarkerSeen[]> {
    return (await loadMarkersSeen(database.pool, filters)).entries.reverse();
  }
  async function post(body: unknown, secret = SECRET): Promise<{ status: number; body: { error?: string } }> {
    const response = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${secret}` }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { error?: string } };
  }

  it('watcher: a first scan logs history (not fired), a new marker logs started with its run, rescans and restarts log nothing', async () => {
    const monitored = await s3.store('markers-watched');
    await monitored.put('old/.SUCCESS', '');
    await monitored.put('old/data.csv', 'x');
    const watcher = (): MarkerWatcher => new MarkerWatcher({ pool: database.pool, store: monitored, orchestrator, intervalMs: 100, log: silent });
    assert.deepEqual(await watcher().scanOnce(), []);
    const [history] = await logged();
    assert.equal((await logged()).length, 1);
    assert.deepEqual(fieldsOf(history!), {
      source: 'watcher',
      bucket: monitored.location,
      key: 'old/.SUCCESS',
      version: history!.version,
      decision: 'history',
      reason: 'first-scan',
      runId: null,
      repeats: 1,
    });
    assert.ok(history!.version);

    await monitored.put('new/.SUCCESS', '');
    const same = watcher();
    const [runId] = await same.scanOnce();
    assert.ok(runId);
    assert.deepEqual(await same.scanOnce(), []);
    assert.deepEqual(await watcher().scanOnce(), []);
    const entries = await logged();
    assert.equal(entries.length, 2, JSON.stringify(entries));
    assert.deepEqual(fieldsOf(entries[1]!), { source: 'watcher', bucket: monitored.location, key: 'new/.SUCCESS', version: entries[1]!.version, decision: 'started', reason: '', runId, repeats: 1 });
    // The run exists: "started" is never logged ahead of its run.
    assert.equal((await orchestrator.getRun(runId))?.id, runId);
    assert.deepEqual(
      (await markerOfRun(database.pool, runId)).map((entry) => entry.decision),
      ['started'],
    );
  });

  it('events: a new marker logs started, its redelivery logs duplicate once, other buckets and other keys log ignored', async () => {
    const event = readFileSync('test/fixtures/s3-event-put.json', 'utf8');
    assert.equal((await post(event)).status, 200);
    assert.equal((await post(event)).status, 200);
    const runId = markerRunId({ bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-25/.SUCCESS', version: '0055AED6DCD90281E5' });
    const marker = { source: 'events', bucket: 's3://stockflow-monitored/', key: 'daily/2026-11-25/.SUCCESS', version: '0055AED6DCD90281E5', runId, repeats: 1 };
    const notMarker = {
      source: 'events',
      bucket: 's3://stockflow-monitored/',
      key: 'daily/2026-11-25/data file.csv',
      version: null,
      decision: 'ignored',
      reason: 'not-a-marker',
      runId: null,
      repeats: 1,
    };
    assert.deepEqual((await logged()).map(fieldsOf), [{ ...marker, decision: 'started', reason: '' }, notMarker, { ...marker, decision: 'duplicate', reason: 'redelivery' }, notMarker]);
    assert.deepEqual(
      (await markerOfRun(database.pool, runId)).map((entry) => entry.decision),
      ['started', 'duplicate'],
    );

    await database.pool.query('DELETE FROM stockflow.marker_decisions');
    const otherBucket = JSON.stringify(fixture('s3-event-put.json')).replaceAll('stockflow-monitored', 'someone-elses-bucket');
    assert.equal((await post(otherBucket)).status, 200);
    const ignored = await logged({ decision: 'ignored' });
    assert.deepEqual(ignored.map(fieldsOf), [
      { source: 'events', bucket: 's3://someone-elses-bucket/', key: 'daily/2026-11-25/.SUCCESS', version: null, decision: 'ignored', reason: 'other-bucket', runId: null, repeats: 1 },
      { source: 'events', bucket: 's3://someone-elses-bucket/', key: 'daily/2026-11-25/data file.csv', version: null, decision: 'ignored', reason: 'other-bucket', runId: null, repeats: 1 },
    ]);
    assert.match(ignored[0]!.detail, /someone-elses-bucket, not the monitored stockflow-monitored/);
  });

  it('events: bad signatures, wrong secrets and malformed deliveries log refused (with the reason), repeats counted on one row', async () => {
    const unsigned = fixture('sns-wrapped-s3-event.json');
    assert.equal((await post(unsigned)).status, 403);
    const [refused, ...none] = await logged();
    assert.deepEqual(none, []);
    // The marker the refused message carried is named, so its uploader finds it.
    assert.deepEqual(fieldsOf(refused!), {
      source: 'events',
      bucket: 's3://stockflow-monitored/',
      key: 'batch 2026/11/25/.SUCCESS',
      version: refused!.version,
      decision: 'refused',
      reason: 'bad-signature',
      runId: null,
      repeats: 1,
    });
    assert.match(refused!.detail, /not started, the delivery was refused: .*not on an SNS host/);

    await database.pool.query('DELETE FROM stockflow.marker_decisions');
    assert.equal((await post(fixture('s3-event-put.json'), 'wrong-secret-of-the-same-size')).status, 401);
    const badSecret = { source: 'events', bucket: null, key: null, version: null, decision: 'refused', reason: 'bad-secret', runId: null };
    assert.deepEqual((await logged()).map(fieldsOf), [{ ...badSecret, repeats: 1 }]);
    // Anyone can send these: more within 5 s are counted, not written, until the next write.
    assert.equal((await post(fixture('s3-event-put.json'), 'another-wrong-secret')).status, 401);
    assert.deepEqual((await logged()).map(fieldsOf), [{ ...badSecret, repeats: 1 }]);
    await recordThrottled(database.pool, unreadEntries(401, 'missing or wrong shared secret')[0]!, silent, Date.now() + 6_000);
    assert.deepEqual((await logged()).map(fieldsOf), [{ ...badSecret, repeats: 3 }]);

    await database.pool.query('DELETE FROM stockflow.marker_decisions');
    const noVersion = { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: 'stockflow-monitored' }, object: { key: 'x/.SUCCESS' } } }] };
    assert.equal((await post(noVersion)).status, 400);
    const [malformed, ...rest] = await logged({ decision: 'refused' });
    assert.deepEqual(rest, []);
    assert.deepEqual(
      [malformed!.reason, malformed!.bucket, malformed!.detail],
      ['malformed', 's3://stockflow-monitored/', 'Records.0: s3.object.versionId: the event for x/.SUCCESS has neither a versionId nor a sequencer'],
    );
  });

  it('a trigger the orchestrator refuses logs failed with its error, once per error while it keeps failing', async () => {
    const refusing: Orchestrator = Object.assign(Object.create(orchestrator) as Orchestrator, { trigger: () => Promise.reject(new Error('Airflow answered 503: scheduler down')) });
    const marker = { bucket: 's3://stockflow-monitored/', key: 'failing/.SUCCESS', version: 'v1' };
    for (const _attempt of [1, 2]) await assert.rejects(fireMarker(database.pool, refusing, marker, silent, 'watcher'), /scheduler down/);
    assert.deepEqual(
      (await logged()).map((entry) => [entry.decision, entry.reason, entry.key, entry.detail, entry.repeats]),
      [['failed', 'trigger-failed', 'failing/.SUCCESS', 'Airflow answered 503: scheduler down', 2]],
    );
    // The marker was not recorded as fired: the next scan tries it again.
    assert.equal((await database.pool.query("SELECT count(*)::int AS n FROM stockflow.markers WHERE key = 'failing/.SUCCESS'")).rows[0].n, 0);
  });

  it('airflow: a run its first task creates from a Lambda conf logs started once; stockflow-triggered runs are not logged twice', async () => {
    const runs = new RunRepository(database.pool);
    const marker = { bucket: 's3://stockflow-monitored/', key: 'lambda/.SUCCESS', version: 'seq-1' };
    const runId = markerRunId(marker);
    for (const _step of ['discover', 'transform']) await runs.markRunning({ id: runId, trigger: { kind: 'event', by: 'x' }, conf: { marker }, orchestrator: 'airflow' });
    await runs.markRunning({ id: 'manual__1', trigger: { kind: 'manual', by: 'airflow' }, conf: {}, orchestrator: 'airflow' });
    await runs.markRunning({ id: 'event__own', trigger: { kind: 'event', by: 'x' }, conf: { marker, stockflow_trigger: { kind: 'event', by: 'x' } }, orchestrator: 'airflow' });
    assert.deepEqual((await logged()).map(fieldsOf), [{ source: 'airflow', ...marker, decision: 'started', reason: '', runId, repeats: 1 }]);
  });

  it('lists newest first in keyset pages, filters by decision and bucket, and reports bad parameters by field', async () => {
    const entry = (index: number) => ({
      source: 'watcher' as const,
      bucket: index % 2 ? 's3://a/' : 's3://b/',
      key: `k${index}/.SUCCESS`,
      version: 'v',
      decision: index % 3 ? ('history' as const) : ('ignored' as const),
    });
    await recordMarkerDecisions(
      database.pool,
      Array.from({ length: 120 }, (_, index) => entry(index)),
    );
    const first = await loadMarkersSeen(database.pool, {});
    assert.equal(first.entries.length, 50);
    assert.equal(first.entries[0]!.key, 'k119/.SUCCESS');
    const second = await loadMarkersSeen(database.pool, { before: first.nextCursor! });
    assert.equal(second.entries[0]!.key, 'k69/.SUCCESS');
    const third = await loadMarkersSeen(database.pool, { before: second.nextCursor! });
    assert.deepEqual([third.entries.length, third.nextCursor], [20, null]);
    const filtered = await loadMarkersSeen(database.pool, { decision: 'ignored', bucket: 's3://a/' });
    assert.deepEqual(filtered.entries.map((row) => row.key).slice(0, 3), ['k117/.SUCCESS', 'k111/.SUCCESS', 'k105/.SUCCESS']);
    assert.deepEqual(first.buckets, ['s3://a/', 's3://b/']);
    const bad = await loadMarkersSeen(database.pool, { decision: 'exploded', before: 'yesterday', bucket: 's3://a/' });
    assert.deepEqual(Object.keys(bad.problems).sort(), ['before', 'decision']);
    assert.match(bad.problems.decision!, /one of started, duplicate, ignored, refused, history, failed/);
    assert.ok(
      bad.entries.every((row) => row.bucket === 's3://a/'),
      'the good filter still applies',
    );
  });

  it('keeps its size bounded: pruning keeps the newest rows', async () => {
    await recordMarkerDecisions(
      database.pool,
      Array.from({ length: 30 }, (_, index) => ({ source: 'watcher' as const, bucket: 's3://p/', key: `p${index}`, version: 'v', decision: 'history' as const })),
    );
    assert.equal(await pruneMarkerDecisions(database.pool, { rows: 10, days: 30 }), 20);
    assert.deepEqual(
      (await logged()).map((row) => row.key),
      Array.from({ length: 10 }, (_, index) => `p${index + 20}`),
    );
  });
});
