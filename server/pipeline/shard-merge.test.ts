import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { LoadResult } from '../ports/stock-table';
import { mergeLoadResults } from './shard-merge';

const shardLoad = (overrides: Partial<LoadResult>): LoadResult => ({
  rowsLoaded: 10,
  rowsReplaced: 8,
  companies: 2,
  strategy: 'incremental',
  rowsWritten: 3,
  mode: 'companies',
  companiesRemoved: 0,
  changes: { totals: { added: 2, changed: 1, removed: 0, unchanged: 7, companiesAdded: 0, companiesRemoved: 0 }, companies: [], moreCompanies: 0 },
  ...overrides,
});

describe("the shards' loads as one", () => {
  it('adds up the rows written when every shard wrote only its differences', () => {
    const merged = mergeLoadResults([shardLoad({}), shardLoad({ rowsWritten: 5 })]);
    assert.equal(merged.strategy, 'incremental');
    assert.equal(merged.rowsWritten, 8);
    assert.equal(merged.rowsLoaded, 20);
    assert.equal(merged.changes.totals.unchanged, 14);
  });

  it('has no count of rows written once a shard swapped a new table in', () => {
    const bulk = shardLoad({ strategy: 'bulk' });
    delete bulk.rowsWritten;
    const merged = mergeLoadResults([shardLoad({}), bulk]);
    assert.equal(merged.strategy, 'bulk');
    assert.equal(merged.rowsWritten, undefined);
  });

  it("is the loading shard's result when the run loaded as one: the shards it took rows from add nothing", () => {
    const taken = shardLoad({ rowsLoaded: 0, rowsReplaced: 0, companies: 0, strategy: 'bulk', loadedWith: '1/3' });
    delete taken.rowsWritten;
    const all = shardLoad({ rowsLoaded: 30, companies: 6, rowsWritten: 9 });
    const merged = mergeLoadResults([all, taken, { ...taken }]);
    assert.deepEqual(merged, { ...all, changes: merged.changes });
    assert.deepEqual(merged.changes.totals, all.changes.totals);
  });
});
