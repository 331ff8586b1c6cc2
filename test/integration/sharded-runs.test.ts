import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { logPageQuerySchema, parseQuery } from '../../app/api/runs/[runId]/logs/log-query';
import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { PgStepResults } from '../../server/adapters/pg-step-results';
import { migrate } from '../../server/db/migrate';
import { type Shard, shardStepKey } from '../../server/pipeline/shard';
import type { StepName } from '../../server/pipeline/steps';
import type { Manifest } from '../../server/pipeline/transform';
import type { TaskStatus } from '../../server/ports/orchestrator';
import { loadRunDetail } from '../../server/read-models/run-detail';
import { loadRunsList } from '../../server/read-models/runs-list';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { logTextPages } from '../../server/runs/log-text';
import { RunRepository } from '../../server/runs/run-repository';
import { TaskTry } from '../../server/runs/task-try';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const RUN = 'manual__sharded_three_ways';
const PLAIN_RUN = 'manual__plain_after_sharded';

/** Scale-out (issue #11) on the run screens: shards recorded as `stockflow step --shard i/N` records them. */
describe('a sharded run on the runs screens', () => {
  let database: TestDatabase;
  let folder: string;
  let runs: RunRepository;
  let services: Parameters<typeof loadRunDetail>[0] & Parameters<typeof loadRunsList>[0];

  /** One try of a step (or shard), as runStepTry records it: a task_runs row, its log lines, its progress, its ending. */
  async function recordTry(
    step: string,
    shard: Shard | undefined,
    status: Exclude<TaskStatus, 'queued' | 'running' | 'skipped'> | 'running',
    lines: string[],
    progress?: { done: number; total: number; rows: number },
  ) {
    const key = shardStepKey(step, shard);
    const task = await TaskTry.begin(runs, RUN, key);
    for (const line of lines) task.log.log(line.startsWith('ERROR ') ? 'error' : 'info', line.replace(/^ERROR /, ''));
    if (progress) task.onProgress({ step, ...progress });
    if (status === 'running') {
      await task.log.flush();
      // Throttled progress is written after a moment; a finished try writes its last count.
      if (progress) await runs.updateProgress(RUN, key, task.tryNumber, progress);
      return;
    }
    await task.finish(status, status === 'success' ? null : `${key} broke`);
  }

  const shard = (index: number): Shard => ({ index, count: 3 });

  async function saveManifest(index: number, rejected: number): Promise<void> {
    const manifest = {
      totals: { rowsRejected: rejected },
      firstRejects: Array.from({ length: Math.min(rejected, 2) }, (_, row) => ({ file: `shard${index}.us.txt`, line: row + 2, reason: 'bad date', raw: 'x' })),
    };
    const now = new Date().toISOString();
    await new PgStepResults(database.pool).save({
      runId: RUN,
      step: shardStepKey('transform', shard(index)) as StepName,
      status: 'success',
      startedAt: now,
      finishedAt: now,
      result: manifest as unknown as Manifest,
      error: null,
    });
  }

  before(async () => {
    database = await createTestDatabase('sharded_runs');
    await migrate(database.pool);
    folder = await mkdtemp(join(tmpdir(), 'stockflow-sharded-'));
    const store = new FolderObjectStore(join(folder, 'source'));
    runs = new RunRepository(database.pool);
    services = { orchestrator: new EmbeddedOrchestrator(runs), runs, pipelineContext: (runId: string) => pipelineContext(database.pool, store, runId) };
    // A plain run first (the grid's older column), then the sharded one as Airflow's mapped tasks run it.
    await runs.markRunning({ id: PLAIN_RUN, trigger: { kind: 'manual', by: 'ada' }, conf: {}, orchestrator: 'airflow' });
    await runs.finishRun(PLAIN_RUN, 'cancelled', null, 'cancelled by an operator');
    await runs.markRunning({ id: RUN, trigger: { kind: 'manual', by: 'ada' }, conf: { shards: 3 }, orchestrator: 'airflow' });
    await recordTry('discover', undefined, 'success', ['discover: 9 companies']);
    await recordTry('transform', shard(1), 'success', ['transform shard 1: 3 files'], { done: 3, total: 3, rows: 300 });
    await recordTry('transform', shard(2), 'up_for_retry', ['transform shard 2: first try', 'ERROR read timed out'], { done: 1, total: 3, rows: 90 });
    await recordTry('transform', shard(2), 'success', ['transform shard 2: second try', 'transform shard 2: needle here'], { done: 3, total: 3, rows: 250 });
    await recordTry('transform', shard(3), 'success', ['transform shard 3: 3 files'], { done: 3, total: 3, rows: 310 });
    for (const [index, rejected] of [
      [1, 1],
      [2, 0],
      [3, 4],
    ] as const)
      await saveManifest(index, rejected);
    // The load under way: shard 1 done, shard 2 going, shard 3 not started yet.
    await recordTry('load', shard(1), 'success', ['load shard 1: committed'], { done: 3, total: 3, rows: 300 });
    await recordTry('load', shard(2), 'running', ['load shard 2: copying'], { done: 1, total: 3, rows: 100 });
  });
  after(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it('shows a running sharded step as one row: its shards underneath, their progress summed, the waiting shard listed', async () => {
    const detail = (await loadRunDetail(services, RUN))!;
    assert.deepEqual(
      detail.steps.map((step) => [step.key, step.state, step.shards.length]),
      [
        ['discover', 'success', 0],
        ['transform', 'success', 3],
        ['load', 'running', 3],
      ],
    );
    const load = detail.steps[2]!;
    assert.deepEqual(
      load.shards.map((entry) => [entry.key, entry.state, entry.tryNumber]),
      [
        ['load[1/3]', 'success', 1],
        ['load[2/3]', 'running', 1],
        ['load[3/3]', 'waiting', null],
      ],
    );
    assert.deepEqual(load.progress, { done: 4, total: 6, rows: 400 }, "the run's live progress: every shard's summed");
    assert.equal(load.finishedAt, null, 'unfinished while a shard runs');
    const transform = detail.steps[1]!;
    assert.equal(transform.tryNumber, 2, 'the retried shard');
    assert.deepEqual(transform.progress, { done: 9, total: 9, rows: 860 });
    assert.deepEqual(detail.tries, { discover: [1], 'transform[1/3]': [1], 'transform[2/3]': [1, 2], 'transform[3/3]': [1], 'load[1/3]': [1], 'load[2/3]': [1] });
    // Transform's rejects: every shard's manifest summed; first rejects in shard order, as many as one whole run keeps (20).
    assert.equal(detail.rejects?.count, 5);
    assert.deepEqual(
      detail.rejects?.first.map((reject) => `${reject.file}:${reject.line}`),
      ['shard1.us.txt:2', 'shard3.us.txt:2', 'shard3.us.txt:3'],
    );

    const list = await loadRunsList(services, {});
    const column = list.grid.columns.find((candidate) => candidate.runId === RUN)!;
    assert.deepEqual(
      column.cells.map((cell) => [cell.step, cell.state, cell.tryNumber, cell.shards?.count ?? null]),
      [
        ['discover', 'success', 1, null],
        ['transform', 'success', 2, 3],
        ['load', 'running', 1, 3],
        ['notify', 'waiting', null, null],
      ],
    );
    assert.deepEqual(column.cells[2]!.shards!.states, [
      { state: 'running', count: 1 },
      { state: 'waiting', count: 1 },
      { state: 'success', count: 1 },
    ]);
    // The plain run beside it keeps its plain cells.
    assert.ok(list.grid.columns.find((candidate) => candidate.runId === PLAIN_RUN)!.cells.every((cell) => cell.shards === null && cell.state === 'not_run'));
  });

  it('sums the finished run up: failed if any shard failed, from the first start to the last end', async () => {
    const running = await runs.listTaskTries(RUN, 'load[2/3]');
    await runs.finishTask(RUN, 'load[2/3]', running[0]!.tryNumber, 'failed', 'load[2/3] broke: COPY count 99, manifest 100');
    await recordTry('load', shard(3), 'success', ['load shard 3: committed'], { done: 3, total: 3, rows: 310 });
    await recordTry('notify', undefined, 'success', ['notify: failure mailed']);
    await runs.finishRun(RUN, 'failed', null, 'step load[2/3] failed');

    const detail = (await loadRunDetail(services, RUN))!;
    const load = detail.steps.find((step) => step.step === 'load')!;
    assert.equal(load.state, 'failed');
    assert.equal(load.error, 'load[2/3]: load[2/3] broke: COPY count 99, manifest 100');
    const tasks = await runs.listTasks(RUN);
    const loadTasks = tasks.filter((task) => task.step.startsWith('load['));
    assert.equal(load.startedAt, loadTasks.map((task) => task.startedAt!).sort()[0]);
    assert.equal(
      load.finishedAt,
      loadTasks
        .map((task) => task.finishedAt!)
        .sort()
        .at(-1),
    );
    assert.deepEqual(
      detail.steps.map((step) => [step.key, step.state]),
      [
        ['discover', 'success'],
        ['transform', 'success'],
        ['load', 'failed'],
        ['notify', 'success'],
      ],
    );
    const list = await loadRunsList(services, { status: 'failed' });
    assert.deepEqual(
      list.grid.columns[0]!.cells.map((cell) => `${cell.step}:${cell.state}:${cell.shards?.count ?? '-'}`),
      ['discover:success:-', 'transform:success:3', 'load:failed:3', 'notify:success:-'],
    );
  });

  it("reads one shard's log by try and text, and refuses step keys that name no shard", async () => {
    const query = (search: string) => parseQuery(logPageQuerySchema, new Request(`http://panel.test/api/runs/${RUN}/logs?${search}`));
    const parsed = query(`step=${encodeURIComponent('transform[2/3]')}&try=1&tail=100`);
    assert.ok(parsed.ok);
    const { step, tail } = parsed.data;
    assert.equal(step, 'transform[2/3]');
    const firstTry = await services.orchestrator.readLog(RUN, step, { tryNumber: parsed.data.try, tail });
    assert.deepEqual(
      firstTry.lines.map((line) => [line.level, line.message]),
      [
        ['info', 'transform shard 2: first try'],
        ['error', 'read timed out'],
      ],
    );
    assert.equal(firstTry.complete, true);
    const everyTry = await runs.readLog(RUN, step, { contains: 'NEEDLE' });
    assert.deepEqual(
      everyTry.lines.map((line) => line.message),
      ['transform shard 2: needle here'],
    );
    assert.equal(await runs.countLogLines(RUN, step, { levels: ['error'] }), 1);
    assert.equal(await runs.countLogLines(RUN, 'transform[3/3]', { contains: 'needle' }), 0, "another shard's log is its own");
    let text = '';
    for await (const page of logTextPages(runs, RUN, 'load[2/3]')) text += page;
    assert.match(text, /INFO {2}load shard 2: copying/);

    for (const bad of ['transform[4/3]', 'transform[0/3]', 'notify[1/2]', 'transform[1/257]', 'transform[02/3]', 'transform']) {
      const answer = query(`step=${encodeURIComponent(bad)}`);
      if (bad === 'transform') {
        assert.ok(answer.ok, 'a plain step stays valid');
        continue;
      }
      assert.equal(answer.ok, false, bad);
      if (!answer.ok) {
        assert.equal(answer.response.status, 400);
        assert.match(((await answer.response.json()) as { error: string }).error, /^step: step must be one of discover, transform, load, notify, or a shard/);
      }
    }
  });
});
