import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { AirflowClient } from '../../server/adapters/airflow/airflow-client';
import { AirflowOrchestrator, compareStepKeys, mergeRun, runStatusOf, stepInstances, taskStatusOf } from '../../server/adapters/airflow/airflow-orchestrator';
import { migrate } from '../../server/db/migrate';
import { RunRepository } from '../../server/runs/run-repository';
import { TaskTry } from '../../server/runs/task-try';
import { type AirflowStub, startAirflowStub, STUB_USER } from '../helpers/airflow-stub';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

describe('Airflow states in ours', () => {
  it('maps DAG run and task instance states', () => {
    assert.deepEqual(['queued', 'running', 'success', 'failed', null].map(runStatusOf), ['queued', 'running', 'success', 'failed', 'queued']);
    assert.deepEqual([null, 'scheduled', 'queued', 'running', 'success', 'failed', 'upstream_failed', 'up_for_retry', 'skipped', 'deferred'].map(taskStatusOf), [
      'queued',
      'queued',
      'queued',
      'running',
      'success',
      'failed',
      'failed',
      'up_for_retry',
      'skipped',
      'running',
    ]);
  });
});

for (const version of ['v1', 'v2'] as const) {
  describe(`the Airflow orchestrator (${version})`, () => {
    let stub: AirflowStub;
    let orchestrator: AirflowOrchestrator;
    let database: TestDatabase;
    let runs: RunRepository;
    before(async () => {
      [stub, database] = await Promise.all([startAirflowStub(version, { taskIds: ['discover', 'transform', 'load'] }), createTestDatabase(`airflow_orch_${version}`)]);
      await migrate(database.pool);
      runs = new RunRepository(database.pool);
      orchestrator = new AirflowOrchestrator(new AirflowClient({ baseUrl: stub.url, ...STUB_USER }), 'stockflow_pipeline', runs);
    });
    after(async () => {
      assert.deepEqual(stub.violations, []);
      await stub.close();
      await database?.drop();
    });

    it('gives runs, tasks and logs the same shape as the embedded runner', async () => {
      const { runId, created } = await orchestrator.trigger({ runId: 'event__1', trigger: { kind: 'event', by: 's3://b/x/.SUCCESS' }, conf: { marker: { key: 'x/.SUCCESS' } } });
      assert.equal(created, true);
      assert.equal((await orchestrator.trigger({ runId, trigger: { kind: 'event', by: 'again' } })).created, false);
      stub.setTask(runId, 'discover', 'running', ['a', 'b', 'c', 'd']);
      const run = await orchestrator.getRun(runId);
      assert.equal(run?.status, 'running');
      assert.deepEqual(run?.trigger, { kind: 'event', by: 's3://b/x/.SUCCESS' });
      assert.deepEqual(
        (await orchestrator.listTasks(runId)).map((task) => [task.step, task.status]),
        [
          ['discover', 'running'],
          ['transform', 'queued'],
          ['load', 'queued'],
        ],
      );
      const first = await orchestrator.readLog(runId, 'discover', {});
      const second = await orchestrator.readLog(runId, 'discover', { after: first.cursor });
      assert.deepEqual(
        [...first.lines, ...second.lines].map((line) => line.message),
        ['a', 'b', 'c', 'd'],
      );
      const page = await orchestrator.listRuns({ limit: 10 });
      assert.deepEqual(
        page.runs.map((candidate) => candidate.id),
        [runId],
      );
      stub.setTask(runId, 'discover', 'failed');
      await orchestrator.retry(runId);
      assert.equal(stub.runs.get(runId)!.state, 'queued');
      await orchestrator.cancel(runId);
      assert.equal(stub.runs.get(runId)!.state, 'failed');
      assert.deepEqual(await orchestrator.health(), { healthy: true, detail: 'Airflow scheduler healthy, metadatabase healthy' });
      const page2 = await orchestrator.listRuns({ limit: 10, from: '2000-01-01', to: '2999-12-31' });
      assert.equal(page2.runs.length, 1);
    });

    it('shows the steps, progress and logs the step processes recorded, and Airflow only for what they did not', async () => {
      const runId = 'event__recorded';
      await orchestrator.trigger({ runId, trigger: { kind: 'event', by: 's3://b/y/.SUCCESS' }, conf: { marker: { bucket: 's3://b/', key: 'y/.SUCCESS', version: 'v1' } } });
      assert.equal((await orchestrator.getRun(runId))?.status, 'queued', 'listed before its first task runs');
      // What `stockflow step discover` does inside the Airflow task:
      await runs.markRunning({ id: runId, trigger: { kind: 'event', by: 's3://b/y/.SUCCESS' }, conf: {}, orchestrator: 'airflow' });
      const discover = await TaskTry.begin(runs, runId, 'discover', { tryNumber: 1 });
      discover.log.log('info', 'listing 12 files');
      discover.onProgress({ step: 'discover', done: 12, total: 12, rows: 0 });
      await discover.finish('success', null);
      stub.setTask(runId, 'discover', 'running');
      stub.setTask(runId, 'discover', 'success', ['[airflow] raw line']);
      stub.setTask(runId, 'transform', 'running', ['[airflow] only here']);
      const tasks = await orchestrator.listTasks(runId);
      assert.deepEqual(
        tasks.map((task) => [task.step, task.status]),
        [
          ['discover', 'success'],
          ['transform', 'running'],
          ['load', 'queued'],
        ],
      );
      assert.deepEqual(tasks[0]!.progress, { done: 12, total: 12, rows: 0 });
      const recordedLog = await orchestrator.readLog(runId, 'discover', {});
      assert.deepEqual(
        recordedLog.lines.map((line) => line.message),
        ['listing 12 files'],
      );
      const fallback = await orchestrator.readLog(runId, 'transform', {});
      assert.deepEqual(
        fallback.lines.map((line) => line.message),
        ['[airflow] only here'],
      );
      const run = await orchestrator.getRun(runId);
      assert.equal(run?.status, 'running');
      assert.equal((run?.conf as { marker: { key: string } }).marker.key, 'y/.SUCCESS');
      // The notify step writes the ending; a run Airflow failed is ours to explain.
      await runs.finishRun(runId, 'success', { rows: { loaded: 5 } }, null);
      assert.equal((await orchestrator.getRun(runId))?.status, 'success');
      assert.deepEqual((await orchestrator.getRun(runId))?.summary, { rows: { loaded: 5 } });
    });

    it("shows a sharded run's mapped instances as transform[i/N] steps, and reads an unrecorded instance's log by its map index", async () => {
      const runId = 'event__sharded';
      await orchestrator.trigger({ runId, trigger: { kind: 'event', by: 's3://b/z/.SUCCESS' } });
      assert.deepEqual(
        (await orchestrator.listTasks(runId)).map((task) => task.step),
        ['discover', 'transform', 'load'],
        'before discover: the mapped tasks are not expanded yet',
      );
      await runs.markRunning({ id: runId, trigger: { kind: 'event', by: 's3://b/z/.SUCCESS' }, conf: {}, orchestrator: 'airflow' });
      // `stockflow step transform --shard 1/3` records itself under transform[1/3].
      const first = await TaskTry.begin(runs, runId, 'transform[1/3]', { tryNumber: 1 });
      first.log.log('info', 'shard 1 of 3: 4 companies');
      await first.finish('success', null);
      stub.setTask(runId, 'discover', 'success');
      stub.setTask(runId, 'transform', 'success', ['[airflow] shard 1'], 0);
      stub.setTask(runId, 'transform', 'running', ['[airflow] shard 2 only here'], 1);
      stub.setTask(runId, 'transform', 'queued', [], 2);
      const tasks = await orchestrator.listTasks(runId);
      assert.deepEqual(
        tasks.map((task) => [task.step, task.status]),
        [
          ['discover', 'success'],
          ['transform[1/3]', 'success'],
          ['transform[2/3]', 'running'],
          ['transform[3/3]', 'queued'],
          ['load', 'queued'],
        ],
      );
      const recorded = await orchestrator.readLog(runId, 'transform[1/3]', {});
      assert.deepEqual(
        recorded.lines.map((line) => line.message),
        ['shard 1 of 3: 4 companies'],
      );
      const fallback = await orchestrator.readLog(runId, 'transform[2/3]', {});
      assert.deepEqual(
        fallback.lines.map((line) => line.message),
        ['[airflow] shard 2 only here'],
      );
      await assert.rejects(orchestrator.readLog(runId, 'transform[4/3]', {}), /event__sharded\/transform\[4\/3\]/);
      // One shard (["1/1"]): one mapped instance, the whole run, under the plain step name.
      const whole = 'event__whole';
      await orchestrator.trigger({ runId: whole, trigger: { kind: 'event', by: 's3://b/w/.SUCCESS' } });
      stub.setTask(whole, 'transform', 'running', ['[airflow] the whole run'], 0);
      assert.deepEqual(
        (await orchestrator.listTasks(whole)).map((task) => [task.step, task.status]),
        [
          ['discover', 'queued'],
          ['transform', 'running'],
          ['load', 'queued'],
        ],
      );
      assert.deepEqual(
        (await orchestrator.readLog(whole, 'transform', {})).lines.map((line) => line.message),
        ['[airflow] the whole run'],
      );
    });
  });
}

describe('step keys of Airflow task instances', () => {
  it('names mapped instances by shard (map index + 1 of the expanded count) and orders them by step, then shard', () => {
    const instance = (task_id: string, map_index: number) => ({ task_id, map_index });
    const keys = stepInstances([instance('load', 1), instance('shards', -1), instance('discover', -1), instance('load', 0), instance('transform', 0), instance('fail_run', -1)]).map(({ key }) => key);
    assert.deepEqual(keys, ['load[2/2]', 'discover', 'load[1/2]', 'transform'], 'tasks that are not steps are left out; one instance is the whole run');
    assert.deepEqual(['notify', 'load[2/2]', 'transform[10/12]', 'transform[2/12]', 'load[1/2]', 'discover'].sort(compareStepKeys), [
      'discover',
      'transform[2/12]',
      'transform[10/12]',
      'load[1/2]',
      'load[2/2]',
      'notify',
    ]);
  });
});

describe('one run from Airflow and from stockflow.runs', () => {
  const at = '2026-11-25T10:00:00.000Z';
  const view = (status: 'queued' | 'running' | 'success' | 'failed' | 'cancelled', by = 'airflow') => ({
    id: 'r',
    status,
    trigger: { kind: 'manual' as const, by },
    conf: {},
    queuedAt: at,
    startedAt: at,
    finishedAt: status === 'running' ? null : at,
    summary: null,
    error: null,
  });
  it('takes the ending stockflow recorded, and Airflow state before it', () => {
    assert.equal(mergeRun(view('failed'), view('success', 'u'))?.status, 'success', 'a failed mail does not fail the run');
    assert.equal(mergeRun(view('running'), view('running', 'u'))?.status, 'running');
    const killed = mergeRun(view('failed'), view('running', 'u'));
    assert.equal(killed?.status, 'failed');
    assert.match(killed?.error ?? '', /before its notify step/);
    assert.equal(mergeRun(null, view('running', 'u'))?.status, 'running');
    assert.equal(mergeRun(view('queued'), null)?.status, 'queued');
  });
});
