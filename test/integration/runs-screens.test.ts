import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { migrate } from '../../server/db/migrate';
import { loadRunDetail } from '../../server/read-models/run-detail';
import { loadRunsList } from '../../server/read-models/runs-list';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { logTextPages } from '../../server/runs/log-text';
import { RunRepository } from '../../server/runs/run-repository';
import { seedSynthetic } from '../../server/seed/synthetic';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { testRunner } from '../helpers/runner';

describe('the runs screens read models and log search', () => {
  let database: TestDatabase;
  let folder: string;
  let store: FolderObjectStore;
  let runs: RunRepository;
  let orchestrator: EmbeddedOrchestrator;
  let services: { orchestrator: EmbeddedOrchestrator; runs: RunRepository; pipelineContext: (runId: string) => ReturnType<typeof pipelineContext> };
  const ids: { success: string; failed: string; cancelled: string; queued: string } = { success: '', failed: '', cancelled: '', queued: '' };

  before(async () => {
    database = await createTestDatabase('runs_screens');
    await migrate(database.pool);
    folder = await mkdtemp(join(tmpdir(), 'stockflow-runs-screens-'));
    store = new FolderObjectStore(join(folder, 'source'));
    await seedSynthetic(store, 8);
    runs = new RunRepository(database.pool);
    orchestrator = new EmbeddedOrchestrator(runs);
    services = { orchestrator, runs, pipelineContext: (runId) => pipelineContext(database.pool, store, runId) };
    // Oldest first: a success, a failure (discover finds no company list, three tries), a cancelled and a queued run.
    ids.success = (await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' }, conf: { note: 'first' } })).runId;
    await testRunner(database.pool, store).drain();
    ids.failed = (await orchestrator.trigger({ trigger: { kind: 'event', by: `bucket/${'deep/'.repeat(60)}.SUCCESS` } })).runId;
    await testRunner(database.pool, new FolderObjectStore(join(folder, 'empty')), { retries: 2 }).drain();
    ids.cancelled = (await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } })).runId;
    await orchestrator.cancel(ids.cancelled);
    ids.queued = (await orchestrator.trigger({ trigger: { kind: 'manual', by: 'bob' } })).runId;
  });
  after(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it('lays the runs out as a grid of steps, oldest run first, each cell the state of its latest try', async () => {
    const list = await loadRunsList(services, {});
    assert.deepEqual(list.errors, {});
    assert.deepEqual(list.grid.steps, ['discover', 'transform', 'load', 'notify']);
    assert.deepEqual(
      list.grid.columns.map((column) => [column.runId, column.status]),
      [
        [ids.success, 'success'],
        [ids.failed, 'failed'],
        [ids.cancelled, 'cancelled'],
        [ids.queued, 'queued'],
      ],
    );
    const states = (runId: string) => list.grid.columns.find((column) => column.runId === runId)!.cells.map((cell) => `${cell.step}:${cell.state}:${cell.tryNumber ?? '-'}`);
    assert.deepEqual(states(ids.success), ['discover:success:1', 'transform:success:1', 'load:success:1', 'notify:success:1']);
    assert.deepEqual(states(ids.failed), ['discover:failed:3', 'transform:not_run:-', 'load:not_run:-', 'notify:success:1']);
    assert.deepEqual(states(ids.cancelled), ['discover:not_run:-', 'transform:not_run:-', 'load:not_run:-', 'notify:not_run:-']);
    assert.deepEqual(states(ids.queued), ['discover:waiting:-', 'transform:waiting:-', 'load:waiting:-', 'notify:waiting:-']);
    // A column's bar is the run's duration, once it has one.
    const durations = list.grid.columns.map((column) => column.durationSeconds);
    assert.ok(durations[0]! > 0 && durations[1]! > 0);
    assert.deepEqual(durations.slice(2), [null, null]);
    // The table: newest first, typed counts from the summary, ready flags.
    assert.deepEqual(
      list.rows.map((row) => row.id),
      [ids.queued, ids.cancelled, ids.failed, ids.success],
    );
    const success = list.rows.find((row) => row.id === ids.success)!;
    const loaded = await database.pool.query<{ count: string }>('SELECT count(*) FROM historical_stocks_data');
    assert.equal(success.rowsLoaded, Number(loaded.rows[0]!.count));
    assert.ok(success.rowsLoaded! > 0);
    assert.deepEqual(
      list.rows.map((row) => row.isCancellable),
      [true, false, false, false],
    );
    assert.equal(list.hasActive, true);
    // The trend holds the runs that ran to an end, with their outcome: the cancelled one never started.
    assert.deepEqual(
      list.trend.map((point) => [point.runId, point.status]),
      [
        [ids.success, 'success'],
        [ids.failed, 'failed'],
      ],
    );
    assert.ok(list.trend.every((point) => point.durationSeconds > 0));
  });

  it('names each bad filter and still applies the good ones', async () => {
    const bogus = await loadRunsList(services, { status: 'bogus', from: '2026-02-31', before: 'abc' });
    assert.match(bogus.errors.status!, /status must be one of queued, running/);
    assert.equal(bogus.errors.from, 'no such day');
    assert.match(bogus.errors.before!, /not a page cursor/);
    assert.equal(bogus.rows.length, 4, 'ignored filters do not hide runs');
    const today = new Date().toISOString().slice(0, 10);
    const filtered = await loadRunsList(services, { status: 'failed', from: today, to: '2000-01-01' });
    assert.equal(filtered.errors.to, 'the end date is before the start date');
    assert.deepEqual(
      filtered.rows.map((row) => row.id),
      [ids.failed],
    );
    assert.equal(filtered.hasActive, false);
  });

  it('shows a run with its conf, trigger, typed row counts and every try of a step', async () => {
    const success = (await loadRunDetail(services, ids.success))!;
    assert.deepEqual(JSON.parse(success.confJson), { note: 'first' });
    assert.equal(success.confJson, '{\n  "note": "first"\n}');
    assert.deepEqual(success.run.trigger, { kind: 'manual', by: 'ada' });
    assert.ok(success.rows && success.rows.loaded > 0);
    assert.deepEqual([success.isFinished, success.isRerunnable, success.isRetryable, success.isCancellable], [true, true, false, false]);
    const failed = (await loadRunDetail(services, ids.failed))!;
    assert.deepEqual(failed.tries, { discover: [1, 2, 3], notify: [1] });
    assert.deepEqual(failed.rows, { read: 0, loaded: 0, rejected: 0 });
    assert.equal(success.rerunConfJson, success.confJson);
    // The trigger an engine keeps in the conf (Airflow's dag_run.conf) is not offered for the new run.
    const { runId: airflowLike } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' }, conf: { note: 'x', stockflow_trigger: { kind: 'manual', by: 'ada' } } });
    const withTrigger = (await loadRunDetail(services, airflowLike))!;
    assert.deepEqual(JSON.parse(withTrigger.confJson), { note: 'x', stockflow_trigger: { kind: 'manual', by: 'ada' } });
    assert.deepEqual(JSON.parse(withTrigger.rerunConfJson), { note: 'x' });
    await orchestrator.cancel(airflowLike);
    const queued = (await loadRunDetail(services, ids.queued))!;
    assert.deepEqual([queued.isFinished, queued.isRerunnable, queued.isCancellable], [false, false, true]);
  });

  it('searches and filters a step log over all of it, in the database', async () => {
    // The cancelled run logged nothing itself: every line here is one of these.
    const runId = ids.cancelled;
    const at = new Date('2026-11-25T10:00:00Z');
    const lines = Array.from({ length: 12_000 }, (_, index) => ({
      runId,
      step: 'transform',
      tryNumber: index < 6000 ? 2 : 3,
      level: index % 1000 === 7 ? 'error' : index % 100 === 3 ? 'warn' : 'info',
      // One needle far before the tail the viewer opens at; % and _ must match themselves only.
      message: index === 42 ? 'file aapl.us.csv: Needle in 100%_of cases' : index === 43 ? 'file x: 100 of cases' : `line ${index}`,
      at,
    }));
    await runs.appendLogs(lines);
    const found = await runs.readLog(runId, 'transform', { contains: 'needle IN 100%_', tail: 1000 });
    assert.deepEqual(
      found.lines.map((line) => line.message),
      ['file aapl.us.csv: Needle in 100%_of cases'],
    );
    assert.equal(await runs.countLogLines(runId, 'transform', { contains: '100%_' }), 1);
    assert.equal(await runs.countLogLines(runId, 'transform', { contains: '100' }), lines.filter((line) => line.message.includes('100')).length);
    assert.equal(await runs.countLogLines(runId, 'transform', { contains: 'OF CASES' }), 2);
    assert.equal(await runs.countLogLines(runId, 'transform', { levels: ['error'] }), 12);
    assert.equal(await runs.countLogLines(runId, 'transform', { levels: ['warn', 'error'] }), 132);
    assert.equal(await runs.countLogLines(runId, 'transform', { levels: ['error'], tryNumber: 3 }), 6);
    const errors = await runs.readLog(runId, 'transform', { levels: ['error'], tryNumber: 2, limit: 100 });
    assert.deepEqual(
      errors.lines.map((line) => line.message),
      [7, 1007, 2007, 3007, 4007, 5007].map((index) => `line ${index}`),
    );
    // Followed with a cursor, a filtered read only ever returns newer matching lines.
    const after = await runs.readLog(runId, 'transform', { levels: ['error'], after: errors.cursor, limit: 100 });
    assert.deepEqual(
      after.lines.map((line) => line.message),
      [6007, 7007, 8007, 9007, 10007, 11007].map((index) => `line ${index}`),
    );
  });

  it('streams a whole step log as text, a page at a time, in order', async () => {
    const pages: string[] = [];
    for await (const page of logTextPages(runs, ids.cancelled, 'transform', { tryNumber: 3 })) pages.push(page);
    assert.equal(pages.length, 2, '6,000 lines come in two pages of at most 5,000');
    const text = pages.join('').trimEnd().split('\n');
    assert.equal(text.length, 6000);
    assert.equal(text[0], '2026-11-25T10:00:00.000Z INFO  line 6000');
    assert.equal(text[7], '2026-11-25T10:00:00.000Z ERROR line 6007');
    assert.equal(text.at(-1), '2026-11-25T10:00:00.000Z INFO  line 11999');
    let all = 0;
    for await (const page of logTextPages(runs, ids.cancelled, 'transform')) all += page.split('\n').length - 1;
    assert.equal(all, 12_000, 'without a try, every try is in the download');
  });
});
