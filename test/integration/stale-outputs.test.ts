import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { PgStepResults } from '../../server/adapters/pg-step-results';
import { migrate } from '../../server/db/migrate';
import type { PipelineContext } from '../../server/pipeline/context';
import type { DiscoveryResult } from '../../server/pipeline/discover';
import { removeStaleOutputs, runOutputKeys } from '../../server/pipeline/output-layout';
import { shardFileLists } from '../../server/pipeline/shard-file-lists';
import type { StepRecord } from '../../server/ports/step-results';
import { useFolderStore } from '../helpers/folder-store';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

function record(runId: string, step: string, status: StepRecord['status']): StepRecord {
  return { runId, step, status, startedAt: '2026-11-26T03:00:00.000Z', finishedAt: '2026-11-26T03:00:01.000Z', result: null, error: status === 'failed' ? 'boom' : null };
}

describe('cleaning other runs out of Output/runs/', () => {
  const bucket = useFolderStore('stale-outputs');
  let database: TestDatabase;
  before(async () => {
    database = await createTestDatabase('stale_outputs');
    await migrate(database.pool);
  });
  after(() => database?.drop());

  it("keeps a failed sharded run's file lists for a retry, and nothing else of ended runs", async () => {
    const results = new PgStepResults(database.pool);
    for (const [runId, failedShard] of [
      ['failed', true],
      ['done', false],
    ] as const) {
      for (const step of ['discover', 'transform[1/2]', 'transform[2/2]', 'notify']) {
        await results.save(record(runId, step, failedShard && step === 'transform[2/2]' ? 'failed' : 'success'));
      }
    }
    const lists = (company: string) => JSON.stringify({ files: [{ company, key: `Stocks/${company}.us.txt`, size: 10, etag: 'e' }], unchanged: [] });
    for (const runId of ['failed', 'done']) {
      for (const index of [1, 2]) {
        const keys = runOutputKeys(runId, { index, count: 2 });
        await bucket.store.put(keys.fileLists, lists(`c${index}`));
        await bucket.store.put(keys.output, 'rows\n');
        await bucket.store.put(keys.rejects, 'file,line,raw,reason\n');
      }
    }
    const context = (runId: string) => ({ runId, source: bucket.store, results, log: { log: () => {} } }) as unknown as PipelineContext;
    await removeStaleOutputs(context('next'));

    const left: string[] = [];
    for await (const object of bucket.store.list('Output/runs/')) left.push(object.key);
    assert.deepEqual(left.sort(), [runOutputKeys('failed', { index: 1, count: 2 }).fileLists, runOutputKeys('failed', { index: 2, count: 2 }).fileLists].sort());
    const discovery = { shards: 2, counts: { files: 2, unchanged: 0 }, files: [], unchanged: [] } as unknown as DiscoveryResult;
    const retried = await shardFileLists(context('failed'), discovery, { index: 2, count: 2 });
    assert.deepEqual(
      retried.files.map((file) => file.company),
      ['c2'],
    );

    // Once a retry succeeded (its records say so), the lists go too.
    await results.save(record('failed', 'transform[2/2]', 'success'));
    await removeStaleOutputs(context('next'));
    const after: string[] = [];
    for await (const object of bucket.store.list('Output/runs/')) after.push(object.key);
    assert.deepEqual(after, []);
  });
});
