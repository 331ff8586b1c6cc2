import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { TaskStatus, TaskView } from '../ports/orchestrator';
import { aggregateState, groupSteps } from './step-groups';

function task(step: string, status: TaskStatus, options: Partial<TaskView> = {}): TaskView {
  return { step, tryNumber: 1, status, startedAt: null, finishedAt: null, progress: { done: 0, total: 0, rows: 0 }, error: null, ...options };
}

describe('steps and their shards as the screens show them', () => {
  it('sums a sharded step up: failed if any failed, running if any runs, success only when all succeeded', () => {
    assert.equal(aggregateState(['success', 'success', 'success']), 'success');
    assert.equal(aggregateState(['success', 'failed', 'running']), 'failed');
    assert.equal(aggregateState(['success', 'running', 'queued']), 'running');
    assert.equal(aggregateState(['up_for_retry', 'success']), 'up_for_retry');
    assert.equal(aggregateState(['success', 'waiting']), 'running', 'some shards done, others to come: under way');
    assert.equal(aggregateState(['queued', 'waiting']), 'queued');
    assert.equal(aggregateState(['success', 'not_run']), 'not_run');
    assert.equal(aggregateState(['success', 'skipped']), 'skipped');
    assert.equal(aggregateState(['cancelled', 'success']), 'cancelled');
  });

  it('keeps plain steps as they are, in pipeline order', () => {
    const groups = groupSteps([task('notify', 'success'), task('discover', 'success', { tryNumber: 2, startedAt: '2026-01-01T00:00:01.000Z' }), task('load', 'running')], true);
    assert.deepEqual(
      groups.map((group) => [group.key, group.state, group.tryNumber, group.shards.length]),
      [
        ['discover', 'success', 2, 0],
        ['load', 'running', 1, 0],
        ['notify', 'success', 1, 0],
      ],
    );
    assert.equal(groups[0]!.startedAt, '2026-01-01T00:00:01.000Z');
  });

  it('makes the shards of a step one row, listing the shards that have not started yet', () => {
    const tasks = [
      task('discover', 'success'),
      task('transform[2/3]', 'running', { startedAt: '2026-01-01T00:00:02.000Z', progress: { done: 1, total: 4, rows: 10 } }),
      task('transform[1/3]', 'success', { startedAt: '2026-01-01T00:00:03.000Z', finishedAt: '2026-01-01T00:00:09.000Z', progress: { done: 3, total: 3, rows: 30 } }),
    ];
    const [, transform] = groupSteps(tasks, true);
    assert.equal(transform!.key, 'transform');
    assert.equal(transform!.state, 'running');
    assert.deepEqual(
      transform!.shards.map((shard) => [shard.key, shard.state, shard.tryNumber]),
      [
        ['transform[1/3]', 'success', 1],
        ['transform[2/3]', 'running', 1],
        ['transform[3/3]', 'waiting', null],
      ],
    );
    assert.deepEqual(transform!.progress, { done: 4, total: 7, rows: 40 });
    assert.deepEqual([transform!.startedAt, transform!.finishedAt], ['2026-01-01T00:00:02.000Z', null]);
    assert.deepEqual(transform!.shardStates, [
      { state: 'running', count: 1 },
      { state: 'waiting', count: 1 },
      { state: 'success', count: 1 },
    ]);
  });

  it('ends a sharded step at its last shard, names the failed shard, and counts a missing shard as not run once the run is over', () => {
    const tasks = [
      task('load[1/2]', 'success', { startedAt: '2026-01-01T00:00:01.000Z', finishedAt: '2026-01-01T00:00:05.000Z' }),
      task('load[2/2]', 'failed', { tryNumber: 3, startedAt: '2026-01-01T00:00:02.000Z', finishedAt: '2026-01-01T00:00:08.000Z', error: 'COPY failed' }),
      task('transform[1/2]', 'success', { finishedAt: '2026-01-01T00:00:00.500Z' }),
    ];
    const [transform, load] = groupSteps(tasks, false);
    assert.deepEqual([load!.state, load!.tryNumber, load!.startedAt, load!.finishedAt, load!.error], ['failed', 3, '2026-01-01T00:00:01.000Z', '2026-01-01T00:00:08.000Z', 'load[2/2]: COPY failed']);
    assert.deepEqual(
      transform!.shards.map((shard) => shard.state),
      ['success', 'not_run'],
    );
    assert.equal(transform!.state, 'not_run');
  });

  it('takes the latest try when an engine reports a key twice', () => {
    const [group] = groupSteps([task('transform', 'failed'), task('transform', 'running', { tryNumber: 2 })], true);
    assert.deepEqual([group!.state, group!.tryNumber], ['running', 2]);
  });
});
