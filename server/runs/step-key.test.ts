import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { shardStepKey } from '../pipeline/shard';
import { isStepKey, stepKeySchema } from './step-key';

describe('step keys from URLs', () => {
  it('takes the plain step names and every shard key the pipeline writes', () => {
    for (const key of ['discover', 'transform', 'load', 'notify', 'transform[1/3]', 'load[3/3]', 'transform[1/1]', 'load[256/256]', 'transform[17/200]']) assert.ok(isStepKey(key), key);
    for (const count of [2, 3, 99, 256]) for (const index of [1, count]) assert.ok(isStepKey(shardStepKey('load', { index, count })));
  });

  it('refuses anything else, strictly', () => {
    for (const key of [
      '',
      'Transform',
      'publish',
      'discover[1/2]',
      'notify[1/2]',
      'transform[0/3]',
      'transform[4/3]',
      'transform[1/257]',
      'transform[01/3]',
      'transform[1/03]',
      'transform[1/3] ',
      ' load[1/3]',
      'load[1/3]x',
      'load[1-3]',
      'load[1/3][1/3]',
      'load[/3]',
      'load[1000/1000]',
      'load[2/3',
    ])
      assert.equal(isStepKey(key), false, JSON.stringify(key));
  });

  it('explains a refusal', () => {
    const parsed = stepKeySchema.safeParse('transform[4/3]');
    assert.equal(parsed.success, false);
    assert.match(parsed.error!.issues[0]!.message, /step must be one of discover, transform, load, notify, or a shard such as transform\[2\/3\]/);
  });
});
