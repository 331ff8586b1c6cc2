import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { type CapturedLog, pipelineContext, tableDigest } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt\r\n';

/** `days` rows from 2000-01-03 on; long enough (~190 KB at 4,000 days) to arrive in many HTTP chunks. */
function history(days: number, start = 0): string {
  return Array.from({ length: days }, (_, index) => {
    const day = new Date(Date.UTC(2000, 0, 3 + start + index)).toISOString().slice(0, 10);
    const close = (10 + ((start + index) % 97) / 10).toFixed(2);
    return `${day},10.00,11.50,9.25,${close},${1000 + start + index},0\r\n`;
  }).join('');
}

describe('appends read from an S3 bucket (s3rver): ETags, chunked bodies', () => {
  let database: TestDatabase;
  let s3: TestS3;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('appends_s3'), startTestS3()]);
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
  });

  it('loads only the new rows of files that gained some, and ends where a full run ends', async () => {
    const store = await s3.store('appends', 'data/');
    const files = { long: 4000, short: 3, single: 1 };
    for (const [name, days] of Object.entries(files)) await store.put(`Stocks/${name}.us.csv`, HEADER + history(days));
    await store.put(KEYS.companyList, `${Object.keys(files).join('\n')}\n`);
    const run = (runId: string, full: boolean, logs: CapturedLog[] = []) => runPipeline({ ...pipelineContext(database.pool, store, runId, logs), full });

    assert.equal((await run('first', false)).status, 'success');
    const before = await tableDigest(database.pool);
    for (const [name, days] of Object.entries(files)) await store.put(`Stocks/${name}.us.csv`, HEADER + history(days) + history(2, days));
    const logs: CapturedLog[] = [];
    const daily = await run('daily', false, logs);
    assert.equal(daily.status, 'success', JSON.stringify(daily.error));
    assert.equal(daily.files.appended, 3);
    assert.equal(daily.rows.loaded, 6);
    assert.deepEqual([daily.changes?.totals.added, daily.changes?.totals.changed, daily.changes?.totals.unchanged], [6, 0, before.rows]);
    assert.ok(logs.some((line) => /3 files only gained rows since their rows were loaded: 4004 of their rows are in the table already, 6 rows go to the load/.test(line.message)));
    const appendedEnd = await tableDigest(database.pool);

    const full = await run('full', true);
    assert.equal(full.status, 'success');
    assert.deepEqual([full.changes?.totals.added, full.changes?.totals.changed, full.changes?.totals.removed], [0, 0, 0]);
    assert.deepEqual(await tableDigest(database.pool), appendedEnd);
  });
});
