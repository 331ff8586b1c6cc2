import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';

import { AirflowApiError, AirflowClient } from '../../server/adapters/airflow/airflow-client';
import { type AirflowStub, startAirflowStub, STUB_USER } from '../helpers/airflow-stub';

for (const version of ['v1', 'v2'] as const) {
  describe(`Airflow client, API ${version}, against a spec-validating stub`, () => {
    let stub: AirflowStub;
    let client: AirflowClient;
    before(async () => {
      stub = await startAirflowStub(version);
      client = new AirflowClient({ baseUrl: stub.url, ...STUB_USER });
    });
    after(async () => {
      assert.deepEqual(stub.violations, [], 'every request and response must match the official OpenAPI document');
      await stub.close();
    });

    it('detects the API version from the server', async () => {
      assert.equal(await client.apiVersion(), version);
    });

    it('triggers a DAG run with conf, and a second trigger with the same id is a no-op (409)', async () => {
      const first = await client.triggerDagRun('stockflow_pipeline', { dagRunId: 'event__abc', conf: { marker: { key: 'in/.SUCCESS' } } });
      assert.equal(first.created, true);
      assert.equal(first.run?.dag_run_id, 'event__abc');
      assert.deepEqual(stub.runs.get('event__abc')?.conf, { marker: { key: 'in/.SUCCESS' } });
      const again = await client.triggerDagRun('stockflow_pipeline', { dagRunId: 'event__abc' });
      assert.equal(again.created, false);
      assert.equal(stub.runs.size, 1);
    });

    it('lists runs page by page and gets one', async () => {
      for (let index = 0; index < 4; index += 1) await client.triggerDagRun('stockflow_pipeline', { dagRunId: `manual__${index}` });
      const first = await client.listDagRuns('stockflow_pipeline', { limit: 2, offset: 0 });
      const second = await client.listDagRuns('stockflow_pipeline', { limit: 2, offset: 2 });
      assert.equal(first.total_entries, 5);
      assert.equal(first.dag_runs.length, 2);
      assert.equal(new Set([...first.dag_runs, ...second.dag_runs].map((run) => run.dag_run_id)).size, 4);
      const queued = await client.listDagRuns('stockflow_pipeline', { limit: 10, offset: 0, state: 'queued' });
      assert.equal(queued.total_entries, 5);
      assert.equal((await client.getDagRun('stockflow_pipeline', 'manual__1'))?.state, 'queued');
      assert.equal(await client.getDagRun('stockflow_pipeline', 'nope'), null);
    });

    it('lists task instances and reads a log in chunks with the continuation token', async () => {
      stub.setTask('event__abc', 'discover', 'running', ['line 1', 'line 2', 'line 3', 'line 4', 'line 5']);
      const tasks = await client.listTaskInstances('stockflow_pipeline', 'event__abc');
      assert.deepEqual(
        tasks.map((task) => [task.task_id, task.state ?? null]),
        [
          ['discover', 'running'],
          ['transform', null],
          ['load', null],
          ['notify', null],
        ],
      );
      const first = await client.getTaskLog('stockflow_pipeline', 'event__abc', 'discover', 1);
      const second = await client.getTaskLog('stockflow_pipeline', 'event__abc', 'discover', 1, first.continuationToken);
      if (version === 'v2') {
        assert.deepEqual(
          first.lines.map((line) => line.message),
          ['line 1', 'line 2', 'line 3'],
        );
        assert.deepEqual(
          second.lines.map((line) => line.message),
          ['line 4', 'line 5'],
        );
      } else {
        // Airflow 2's text/plain log comes whole (its host line dropped); the token skips what was read.
        assert.deepEqual(
          first.lines.map((line) => line.message),
          ['line 1', 'line 2', 'line 3', 'line 4', 'line 5'],
        );
        assert.deepEqual(second.lines, []);
        stub.setTask('event__abc', 'discover', 'success', ['line 6']);
        const third = await client.getTaskLog('stockflow_pipeline', 'event__abc', 'discover', 1, second.continuationToken);
        assert.deepEqual(
          third.lines.map((line) => line.message),
          ['line 6'],
        );
      }
    });

    it("lists a run's mapped task instances past one page, and reads one instance's log by its map index", async () => {
      await client.triggerDagRun('stockflow_pipeline', { dagRunId: 'event__mapped' });
      // 120 shards: more instances than one page holds (Airflow answers at most 100).
      for (let mapIndex = 0; mapIndex < 120; mapIndex += 1) stub.setTask('event__mapped', 'transform', 'running', [`transform instance ${mapIndex}`], mapIndex);
      const tasks = await client.listTaskInstances('stockflow_pipeline', 'event__mapped');
      assert.equal(tasks.length, 3 + 120, 'discover, load, notify and every transform instance');
      const transforms = tasks.filter((task) => task.task_id === 'transform');
      assert.deepEqual(
        transforms.map((task) => task.map_index),
        Array.from({ length: 120 }, (_, index) => index),
        'the unexpanded instance gave way to the mapped ones',
      );
      assert.equal(tasks.find((task) => task.task_id === 'discover')?.map_index, -1);
      assert.ok(stub.calls.filter((call) => call === `GET /api/${version}/dags/stockflow_pipeline/dagRuns/event__mapped/taskInstances`).length >= 2, 'read page by page');
      const log = await client.getTaskLog('stockflow_pipeline', 'event__mapped', 'transform', 1, null, 117);
      assert.deepEqual(
        log.lines.map((line) => line.message),
        ['transform instance 117'],
      );
      // No map index: the task's unmapped instance, which a mapped task no longer has.
      await assert.rejects(client.getTaskLog('stockflow_pipeline', 'event__mapped', 'transform', 1), (error: unknown) => error instanceof AirflowApiError && error.status === 404);
    });

    it('clears failed tasks for real (dry_run false) and marks a run failed', async () => {
      stub.setTask('event__abc', 'discover', 'failed', ['boom']);
      await client.clearFailedTasks('stockflow_pipeline', 'event__abc');
      assert.equal(stub.runs.get('event__abc')!.tasks[0]!.state, null);
      assert.equal(stub.runs.get('event__abc')!.state, 'queued');
      await client.setDagRunState('stockflow_pipeline', 'manual__0', 'failed');
      assert.equal(stub.runs.get('manual__0')!.state, 'failed');
    });

    it('pauses and unpauses the DAG and reads health', async () => {
      await client.setPaused('stockflow_pipeline', false);
      assert.equal(stub.paused, false);
      await client.setPaused('stockflow_pipeline', true);
      assert.equal(stub.paused, true);
      assert.deepEqual(await client.health(), { metadatabase: 'healthy', scheduler: 'healthy' });
    });

    it('reports bad credentials and unknown DAGs with the HTTP status', async () => {
      const wrong = new AirflowClient({ baseUrl: stub.url, apiVersion: version, username: 'admin', password: 'wrong' });
      await assert.rejects(wrong.listDagRuns('stockflow_pipeline', { limit: 1, offset: 0 }), (error: unknown) => error instanceof AirflowApiError && error.status === 401);
      await assert.rejects(client.triggerDagRun('no_such_dag', { dagRunId: 'x' }), (error: unknown) => error instanceof AirflowApiError && error.status === 404);
    });
  });
}

describe('the stub catches what Airflow would refuse', () => {
  it('flags a v2 trigger without logical_date, an unknown field and an undeclared query parameter', async () => {
    const stub = await startAirflowStub('v2');
    try {
      const client = new AirflowClient({ baseUrl: stub.url, ...STUB_USER });
      await client.apiVersion();
      const token = (await (await fetch(`${stub.url}/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(STUB_USER) })).json()) as {
        access_token: string;
      };
      const headers = { 'content-type': 'application/json', authorization: `Bearer ${token.access_token}` };
      const missing = await fetch(`${stub.url}/api/v2/dags/stockflow_pipeline/dagRuns`, { method: 'POST', headers, body: JSON.stringify({ dag_run_id: 'x' }) });
      assert.equal(missing.status, 422);
      await fetch(`${stub.url}/api/v2/dags/stockflow_pipeline/dagRuns`, { method: 'POST', headers, body: JSON.stringify({ dag_run_id: 'y', logical_date: null, execution_date: null }) });
      await fetch(`${stub.url}/api/v2/dags/stockflow_pipeline/dagRuns?bogus=1`, { headers });
      assert.equal(stub.violations.length, 3);
      assert.match(stub.violations[0]!.problems.join(), /logical_date/);
      assert.match(stub.violations[1]!.problems.join(), /additional/);
      assert.match(stub.violations[2]!.problems.join(), /bogus/);
    } finally {
      await stub.close();
    }
  });
});

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('Airflow API version detection', () => {
  it('asks again after a failed probe: a server not up yet does not pin v1', async () => {
    const port = await freePort();
    const client = new AirflowClient({ baseUrl: `http://127.0.0.1:${port}`, ...STUB_USER });
    await assert.rejects(client.apiVersion(), /No Airflow API answered at .*asking again on the next call/);
    await assert.rejects(client.triggerDagRun('stockflow_pipeline', { dagRunId: 'early' }), /No Airflow API answered/);
    const stub = await startAirflowStub('v2', { port });
    try {
      assert.equal(await client.apiVersion(), 'v2');
      assert.equal((await client.triggerDagRun('stockflow_pipeline', { dagRunId: 'late' })).created, true);
      assert.deepEqual(stub.violations, []);
    } finally {
      await stub.close();
    }
  });

  it('asks again after a 503, and probes once for concurrent callers', async () => {
    const stub = await startAirflowStub('v2');
    try {
      let unavailable = true;
      const client = new AirflowClient({
        baseUrl: stub.url,
        ...STUB_USER,
        fetch: (input, init) => (unavailable ? Promise.resolve(new Response('{"detail":"starting"}', { status: 503 })) : fetch(input, init)),
      });
      await assert.rejects(client.apiVersion(), /HTTP 503/);
      unavailable = false;
      const answers = await Promise.all([client.apiVersion(), client.apiVersion(), client.apiVersion()]);
      assert.deepEqual(answers, ['v2', 'v2', 'v2']);
      assert.equal(stub.calls.filter((call) => call === 'GET /api/v2/version').length, 1);
    } finally {
      await stub.close();
    }
  });

  it('takes v1 only on positive evidence: Airflow 2 answers GET /api/v1/health', async () => {
    const stub = await startAirflowStub('v1');
    try {
      const client = new AirflowClient({ baseUrl: stub.url, ...STUB_USER });
      assert.equal(await client.apiVersion(), 'v1');
      assert.deepEqual(stub.calls.slice(0, 2), ['GET /api/v2/version', 'GET /api/v1/health']);
      // A server answering neither (not Airflow) pins nothing.
      const neither = new AirflowClient({ baseUrl: `${stub.url}/not-airflow`, ...STUB_USER });
      await assert.rejects(neither.apiVersion(), /No Airflow API answered/);
    } finally {
      await stub.close();
    }
  });
});

describe('Airflow 2 task logs as text/plain', () => {
  it('asks for text/plain and reads timestamps and levels from the default log format', async () => {
    const stub = await startAirflowStub('v1');
    try {
      const client = new AirflowClient({ baseUrl: stub.url, ...STUB_USER });
      await client.triggerDagRun('stockflow_pipeline', { dagRunId: 'manual__log' });
      stub.setTask('manual__log', 'load', 'running', [
        '[2026-11-25T10:00:00.123+0000] {taskinstance.py:1157} INFO - Dependencies all met',
        "[2026-11-25T10:00:01.500+0100] {load.py:42} WARNING - 3 rows rejected: see 'rejects'",
        'a line in no format',
      ]);
      const chunk = await client.getTaskLog('stockflow_pipeline', 'manual__log', 'load', 1);
      assert.deepEqual(chunk.lines, [
        { at: '2026-11-25T10:00:00.123Z', level: 'info', message: 'Dependencies all met' },
        { at: '2026-11-25T09:00:01.500Z', level: 'warning', message: "3 rows rejected: see 'rejects'" },
        { at: null, level: null, message: 'a line in no format' },
      ]);
      assert.deepEqual(stub.violations, [], 'text/plain is a declared answer of the v1 log endpoint');
    } finally {
      await stub.close();
    }
  });
});
