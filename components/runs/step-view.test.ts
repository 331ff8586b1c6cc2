import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { ShardView, StepGroupView } from '@/server/read-models/step-groups';

import { resolveStep, shardStatesText, stepTitle } from './step-view';

const progress = { done: 0, total: 0, rows: 0 };

function shard(step: string, index: number, count: number, state: ShardView['state'], tryNumber: number | null = 1): ShardView {
  return { key: `${step}[${index}/${count}]`, index, count, state, tryNumber, startedAt: null, finishedAt: null, progress, error: null };
}

function group(step: string, state: StepGroupView['state'], shards: ShardView[] = []): StepGroupView {
  return { step, key: step, state, tryNumber: 1, startedAt: null, finishedAt: null, progress, error: null, shards, shardStates: [] };
}

describe('which step the run page shows', () => {
  const groups = [
    group('discover', 'success'),
    group('transform', 'failed', [shard('transform', 1, 3, 'success'), shard('transform', 2, 3, 'failed'), shard('transform', 3, 3, 'success')]),
    group('load', 'not_run', [shard('load', 1, 2, 'success'), shard('load', 2, 2, 'not_run', null)]),
  ];

  it('shows a shard asked for, and for a sharded step its shard that needs looking at', () => {
    assert.deepEqual(resolveStep(groups, 'transform[3/3]')?.key, 'transform[3/3]');
    assert.equal(resolveStep(groups, 'transform[3/3]')?.group.step, 'transform');
    assert.equal(resolveStep(groups, 'transform')?.key, 'transform[2/3]', 'the failed shard');
    assert.equal(resolveStep(groups, 'load')?.key, 'load[1/2]', 'the last shard that ran');
    assert.equal(resolveStep(groups, 'discover')?.key, 'discover');
  });

  it('falls back to the failed step when the one asked for is not there', () => {
    assert.equal(resolveStep(groups, 'notify')?.key, 'transform[2/3]');
    assert.equal(resolveStep(groups, 'transform[4/4]')?.key, 'transform[2/3]');
    assert.equal(resolveStep(groups, null)?.key, 'transform[2/3]');
    assert.equal(resolveStep([], null), null);
  });

  it('names a sharded step by its shard count and states', () => {
    assert.equal(stepTitle(groups[1]!), 'transform · 3 shards');
    assert.equal(stepTitle(groups[0]!), 'discover');
    assert.equal(
      shardStatesText([
        { state: 'failed', count: 1 },
        { state: 'up_for_retry', count: 2 },
        { state: 'success', count: 3 },
      ]),
      '1 failed, 2 up for retry, 3 success',
    );
  });
});
