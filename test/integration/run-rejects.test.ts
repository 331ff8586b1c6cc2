import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { KEYS } from '../../server/pipeline/context';
import { putManifest } from '../../server/pipeline/manifest-file';
import { openRunRejects, runOutputKeys } from '../../server/pipeline/output-layout';
import { streamToString } from '../../server/pipeline/streams';
import { useFolderStore } from '../helpers/folder-store';

const HEADER = 'file,line,raw,reason\n';

describe("a run's rejects.csv for the download route", () => {
  const bucket = useFolderStore('run-rejects');

  it("joins a sharded run's parts (header once, shard order, carried rejects after each shard's own) before notify published them", async () => {
    const runId = 'manual__2026-11-26T03:00:00+00:00';
    const shard = (index: number) => runOutputKeys(runId, { index, count: 3 });
    await bucket.store.put(shard(2).rejects, `${HEADER}Stocks/b.us.txt,4,x,Open: not a number\n`);
    await bucket.store.put(shard(1).rejects, `${HEADER}Stocks/a.us.txt,2,y,Date: not a date\n`);
    await bucket.store.put(shard(1).unchangedRejects, `${HEADER}Stocks/c.us.txt,7,z,High below Low\n`);
    await bucket.store.put(shard(3).rejects, HEADER);
    assert.equal(
      await streamToString((await openRunRejects(bucket.store, runId))!),
      `${HEADER}Stocks/a.us.txt,2,y,Date: not a date\nStocks/c.us.txt,7,z,High below Low\nStocks/b.us.txt,4,x,Open: not a number\n`,
    );
  });

  it('takes the latest split when discover ran again with another shard count', async () => {
    const runId = 'resplit';
    await bucket.store.put(runOutputKeys(runId, { index: 1, count: 2 }).rejects, `${HEADER}old,1,a,b\n`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await bucket.store.put(runOutputKeys(runId, { index: 1, count: 4 }).rejects, `${HEADER}new,1,a,b\n`);
    assert.equal(await streamToString((await openRunRejects(bucket.store, runId))!), `${HEADER}new,1,a,b\n`);
  });

  it('serves the published file once notify published a sharded run, and nothing for a run with no rejects left', async () => {
    const runId = 'published-sharded';
    await bucket.store.put(KEYS.rejects, `${HEADER}Stocks/p.us.txt,3,q,r\n`);
    const header = {
      runId,
      outputKey: KEYS.output,
      rejectsKey: KEYS.rejects,
      companies: [],
      totals: { files: 0, filesEmpty: 0, filesFailed: 0, rowsRead: 0, rowsKept: 0, rowsRejected: 1, warnings: 0 },
      firstRejects: [],
      startedAt: '',
      finishedAt: '',
      durationMs: 0,
    };
    await putManifest(bucket.store, KEYS.manifest, header, []);
    assert.equal(await streamToString((await openRunRejects(bucket.store, runId))!), `${HEADER}Stocks/p.us.txt,3,q,r\n`);
    assert.equal(await openRunRejects(bucket.store, 'never-ran'), null);
  });
});
