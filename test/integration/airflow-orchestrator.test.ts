import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AirflowClient } from '../../server/adapters/airflow/airflow-client';
import { AirflowOrchestrator, runStatusOf, taskStatusOf } from '../../server/adapters/airflow/airflow-orchestrator';
import { startAirflowStub, STUB_USER, type AirflowStub } from '../helpers/airflow-stub';

describe('Airflow states in ours', () => {
  it('maps DAG run and task instance states', () => {
    assert.deepEqual(['queued', 'running', 'success', 'failed', null].map(runStatusOf), ['queued', 'running', 'success', 'failed', 'queued']);
    assert.deepEqual(
      [null, 'scheduled', 'queued', 'running', 'success', 'failed', 'upstream_failed', 'up_for_retry', 'skipped', 'deferred'].map(taskStatusOf),
      ['queued', 'queued', 'queued', 'running', 'success', 'failed', 'failed', 'up_for_retry', 'skipped', 'running'],
    );
  });
});

for (const version of ['v1', 'v2'] as const) {
  describe(`the Airflow orchestrator (${version})`, () => {
    let stub: AirflowStub;
    let orchestrator: AirflowOrchestrator;
    before(async () => {
      stub = await startAirflowStub(version, { taskIds: ['discover', 'transform', 'load'] });
      orchestrator = new AirflowOrchestrator(new AirflowClient({ baseUrl: stub.url, ...STUB_USER }), 'stockflow_pipeline');
    });
    after(async () => {
      assert.deepEqual(stub.violations, []);
      await stub.close();
    });

    it('gives runs, tasks and logs the same shape as the embedded runner', async () => {
      const { runId, created } = await orchestrator.trigger({ runId: 'event__1', trigger: { kind: 'event', by: 's3://b/x/.SUCCESS' }, conf: { marker: { key: 'x/.SUCCESS' } } });
      assert.equal(created, true);
      assert.equal((await orchestrator.trigger({ runId, trigger: { kind: 'event', by: 'again' } })).created, false);
      stub.setTask(runId, 'discover', 'running', ['a', 'b', 'c', 'd']);
      const run = await orchestrator.getRun(runId);
      assert.equal(run?.status, 'running');
      assert.deepEqual(run?.trigger, { kind: 'event', by: 's3://b/x/.SUCCESS' });
      assert.deepEqual((await orchestrator.listTasks(runId)).map((task) => [task.step, task.status]), [['discover', 'running'], ['transform', 'queued'], ['load', 'queued']]);
      const first = await orchestrator.readLog(runId, 'discover', {});
      const second = await orchestrator.readLog(runId, 'discover', { after: first.cursor });
      assert.deepEqual([...first.lines, ...second.lines].map((line) => line.message), ['a', 'b', 'c', 'd']);
      const page = await orchestrator.listRuns({ limit: 10 });
      assert.deepEqual(page.runs.map((candidate) => candidate.id), [runId]);
      stub.setTask(runId, 'discover', 'failed');
      await orchestrator.retry(runId);
      assert.equal(stub.runs.get(runId)!.state, 'queued');
      await orchestrator.cancel(runId);
      assert.equal(stub.runs.get(runId)!.state, 'failed');
      assert.deepEqual(await orchestrator.health(), { healthy: true, detail: 'Airflow scheduler healthy, metadatabase healthy' });
      const page2 = await orchestrator.listRuns({ limit: 10, from: '2000-01-01', to: '2999-12-31' });
      assert.equal(page2.runs.length, 1);
    });
  });
}
