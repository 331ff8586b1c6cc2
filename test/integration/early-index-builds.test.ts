import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';

import type { S3ObjectStore } from '../../server/adapters/s3-object-store';
import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import type { ObjectStore } from '../../server/ports/object-store';
import { type CapturedLog, pipelineContext, tableDigest } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt\n';
const COMPANIES = ['alfa', 'bravo', 'charlie'];

function stockFile(rows: number, close: number): string {
  const lines = Array.from({ length: rows }, (_, index) => `${new Date(Date.UTC(2000, 0, 1 + index)).toISOString().slice(0, 10)},1,2,0.5,${close},10,0`);
  return HEADER + lines.join('\n') + '\n';
}

/**
 * `stockflow run` (issue #11): once every file's rows reached the load, the bulk load builds its
 * keys and indexes while the transform is still storing its output file (on S3 the upload's
 * completion takes a noticeable time), and commits only after the transform step succeeded.
 */
describe('stockflow run: index builds begin while the output file is stored', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let bucketCount = 0;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('early_builds'), startTestS3()]);
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
  });
  beforeEach(async () => {
    await database.pool.query('TRUNCATE historical_stocks_data');
  });

  async function bucketWith(close: number): Promise<S3ObjectStore> {
    const store = await s3.store(`early-${++bucketCount}`);
    for (const company of COMPANIES) await store.put(`Stocks/${company}.us.csv`, stockFile(300, close));
    await store.put(KEYS.companyList, COMPANIES.join('\n') + '\n');
    return store;
  }

  /** The store, the run's output write held (after its bytes are stored) until `hold` settles. */
  function holdingOutput(store: S3ObjectStore, hold: () => Promise<void>): ObjectStore {
    const isOutput = (key: string): boolean => key.startsWith('Output/runs/') && key.endsWith('/historical_stock_data.csv');
    const held: Partial<ObjectStore> = {
      async put(key, body, options) {
        await store.put(key, body, options);
        if (isOutput(key)) await hold();
      },
      // `stockflow run` sends its output from a local file once every row is written.
      async putFile(key, file, options) {
        await store.putFile(key, file, options);
        if (isOutput(key)) await hold();
      },
    };
    return Object.assign(Object.create(store) as ObjectStore, held);
  }

  /** Resolves once a log line matches, or fails after 10 s. */
  async function logged(logs: CapturedLog[], pattern: RegExp): Promise<void> {
    for (let waited = 0; !logs.some((entry) => pattern.test(entry.message)); waited += 20) {
      if (waited >= 10_000) throw new Error(`no log line matched ${pattern} while the output was stored`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('builds the new table’s indexes before the transform step ends, and commits the same table', async () => {
    const logs: CapturedLog[] = [];
    const store = holdingOutput(await bucketWith(7), () => logged(logs, /^load: building historical_stocks_data_pkey$/));
    const summary = await runPipeline(pipelineContext(database.pool, store, 'early-builds', logs));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    const messages = logs.map((entry) => entry.message);
    const transformDone = messages.findIndex((message) => message.startsWith('transform: 3 files'));
    const firstBuild = messages.findIndex((message) => /^load: building \S+$/.test(message));
    assert.ok(firstBuild !== -1 && firstBuild < transformDone, messages.join('\n'));
    assert.equal(messages.filter((message) => message === 'load: building historical_stocks_data_pkey').length, 1, 'each index is built once');
    const counts = await database.pool.query('SELECT count(*)::int AS n, min(close_value)::text AS close FROM historical_stocks_data');
    assert.deepEqual(counts.rows[0], { n: 900, close: '7' });
  });

  it('leaves the table as it was, and no new table or session behind, when the output cannot be stored after the builds began', async () => {
    assert.equal((await runPipeline(pipelineContext(database.pool, await bucketWith(7), 'loaded-before'))).status, 'success');
    const before = await tableDigest(database.pool);
    const logs: CapturedLog[] = [];
    const store = holdingOutput(await bucketWith(8), async () => {
      await logged(logs, /^load: building \S+$/);
      throw new Error('injected: the output could not be stored');
    });
    const summary = await runPipeline(pipelineContext(database.pool, store, 'output-lost', logs));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'transform');
    assert.match(summary.error?.message ?? '', /injected: the output could not be stored/);
    assert.deepEqual(await tableDigest(database.pool), before);
    const next = await database.pool.query("SELECT to_regclass('public.historical_stocks_data_next') IS NULL AS gone");
    assert.equal(next.rows[0].gone, true);
    assert.equal(database.pool.totalCount - database.pool.idleCount, 0, 'every session went back to the pool');
  });
});
