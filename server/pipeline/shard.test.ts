import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { allShards, inShard, parseStepKey, shardList, shardOfCompany, shardSchema, shardStepKey } from './shard';

describe('shards', () => {
  it('reads i/N strictly', () => {
    assert.deepEqual(shardSchema.parse('2/3'), { index: 2, count: 3 });
    assert.deepEqual(shardSchema.parse(' 1/1 '), { index: 1, count: 1 });
    for (const bad of ['0/3', '4/3', '1/0', '1/257', '1', '1/2/3', '-1/2', 'a/b', '1.5/2', '']) {
      assert.equal(shardSchema.safeParse(bad).success, false, bad);
    }
  });

  it('puts every company in exactly one shard, the same one whatever the case or the process', () => {
    const companies = Array.from({ length: 5000 }, (_, position) => `c${position}`);
    for (const count of [1, 2, 3, 8]) {
      const sizes = new Array<number>(count).fill(0);
      for (const company of companies) {
        const owners = allShards(count).filter((shard) => inShard(company, shard));
        assert.equal(owners.length, 1);
        sizes[owners[0]!.index - 1]! += 1;
        assert.equal(shardOfCompany(company.toUpperCase(), count), owners[0]!.index);
      }
      // FNV-1a spreads names evenly enough that no shard gets twice its share.
      for (const size of sizes) assert.ok(size > companies.length / count / 2 && size < (2 * companies.length) / count, `${count} shards: ${sizes.join(', ')}`);
    }
    // A fixed value: a change of hash would move companies between the shards of recorded runs.
    // FNV-1a 32 of "A" (names are upper-cased first) is 0xc40bf6cc.
    assert.equal(shardOfCompany('a', 1_000_000), (0xc40bf6cc % 1_000_000) + 1);
  });

  it('names sharded steps and reads the names back', () => {
    assert.deepEqual(shardList(3), ['1/3', '2/3', '3/3']);
    assert.equal(shardStepKey('load', { index: 2, count: 3 }), 'load[2/3]');
    assert.equal(shardStepKey('load', { index: 1, count: 1 }), 'load');
    assert.equal(shardStepKey('load', undefined), 'load');
    assert.deepEqual(parseStepKey('load[2/3]'), { step: 'load', shard: { index: 2, count: 3 } });
    assert.deepEqual(parseStepKey('notify'), { step: 'notify', shard: undefined });
  });
});
