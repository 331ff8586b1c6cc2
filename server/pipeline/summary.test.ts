import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import type { StepRecord } from '../ports/step-results';
import type { LoadResult } from '../ports/stock-table';
import { summarizeRun } from './summary';
import type { Manifest } from './transform';

const at = (second: number): string => new Date(Date.UTC(2026, 10, 25, 12, 0, second)).toISOString();
const record = (step: string, result: unknown, status: StepRecord['status'] = 'success', second = 1): StepRecord => ({
  runId: 'r',
  step,
  status,
  startedAt: at(second),
  finishedAt: at(second + 1),
  result: status === 'success' ? result : null,
  error: status === 'failed' ? `${step} broke` : null,
});
const discovery = { listKey: 'l', listed: 4, files: [], missing: [], duplicates: [], invalid: [], unlistedFiles: 0, shards: 2 };
const manifest = (companies: string[], rows: number): Partial<Manifest> => ({
  runId: 'r',
  companies,
  files: [],
  totals: { files: companies.length, filesEmpty: 0, filesFailed: 0, rowsRead: rows + 1, rowsKept: rows, rowsRejected: 1, warnings: 0 },
  firstRejects: [{ file: companies[0]!, line: 2, raw: 'x', reason: 'bad' }],
  startedAt: at(2),
  finishedAt: at(3),
});
const loaded = (companies: string[], rows: number): LoadResult => ({
  rowsLoaded: rows,
  rowsReplaced: 0,
  companies: companies.length,
  strategy: 'bulk',
  mode: 'companies',
  companiesRemoved: 0,
  changes: {
    totals: { added: rows, changed: 0, removed: 0, unchanged: 0, companiesAdded: companies.length, companiesRemoved: 0 },
    companies: companies.map((company) => ({ company, added: rows / companies.length, changed: 0, removed: 0, unchanged: 0 })),
    moreCompanies: 0,
  },
});

describe('a sharded run summary', () => {
  const shards = [record('discover', discovery), record('transform[1/2]', manifest(['a', 'b'], 10)), record('transform[2/2]', manifest(['c'], 4), 'success', 4)];

  it('merges every shard once all of them loaded', () => {
    const summary = summarizeRun('r', [...shards, record('load[2/2]', loaded(['c'], 4), 'success', 6), record('load[1/2]', loaded(['a', 'b'], 10), 'success', 5)]);
    assert.equal(summary.status, 'success');
    assert.deepEqual(summary.rows, { read: 16, loaded: 14, rejected: 2 });
    assert.equal(summary.companies, 3);
    assert.equal(summary.firstRejects.length, 2);
    assert.equal(summary.changes?.totals.added, 14);
    assert.deepEqual(
      summary.changes?.companies.map((change) => change.company),
      ['a', 'b', 'c'],
    );
    assert.equal(summary.error, null);
  });

  it('fails while a shard has not loaded, naming it', () => {
    const summary = summarizeRun('r', [...shards, record('load[1/2]', loaded(['a', 'b'], 10), 'success', 5)]);
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.error, { step: 'load[2/2]', message: 'the load[2/2] step has not run' });
    assert.equal(summary.rows.loaded, 0);
    assert.equal(summary.rows.read, 16, 'what was read is still reported');
  });

  it('fails with the failed shard and its error', () => {
    const summary = summarizeRun('r', [...shards, record('load[1/2]', loaded(['a', 'b'], 10), 'success', 5), record('load[2/2]', null, 'failed', 6)]);
    assert.equal(summary.status, 'failed');
    assert.deepEqual(summary.error, { step: 'load[2/2]', message: 'load[2/2] broke' });
  });

  it('takes shards of the count discover fixed only', () => {
    const summary = summarizeRun('r', [...shards, record('load[1/3]', loaded(['a', 'b'], 10)), record('load[2/3]', loaded(['c'], 4)), record('load[3/3]', loaded([], 0))]);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'load[1/2]');
  });
});
