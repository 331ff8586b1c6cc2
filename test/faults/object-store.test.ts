import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { crc32Base64 } from '../../server/adapters/s3-file-upload';
import { S3ObjectStore } from '../../server/adapters/s3-object-store';
import { migrate } from '../../server/db/migrate';
import { KEYS, type PipelineContext } from '../../server/pipeline/context';
import { openRunRejects, runOutputKeys } from '../../server/pipeline/output-layout';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { runStep } from '../../server/pipeline/steps';
import { streamToString } from '../../server/pipeline/streams';
import type { ObjectStore } from '../../server/ports/object-store';
import { type FaultyS3Proxy, startFaultyS3Proxy } from '../helpers/faulty-s3-proxy';
import { pipelineContext, tableDigest } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const TIMEOUT_MS = 300;
const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt\n';

function stockFile(rows: number, close = 2): string {
  const lines = Array.from({ length: rows }, (_, index) => `${new Date(Date.UTC(2000, 0, 1 + index)).toISOString().slice(0, 10)},1,1,1,${close},1,0`);
  return HEADER + lines.join('\n') + '\n';
}

describe('object store faults (s3rver behind a fault-injecting proxy)', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let proxy: FaultyS3Proxy;
  let bucketCount = 0;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('faults_store'), startTestS3()]);
    proxy = await startFaultyS3Proxy(s3.endpoint);
    await migrate(database.pool);
  });
  after(async () => {
    await proxy?.close();
    await database?.drop();
    await s3?.close();
  });
  beforeEach(() => proxy.clear());

  /** A fresh bucket holding the given Stocks/ files and a list naming them, seen through the proxy. */
  async function bucketWith(files: Record<string, string>): Promise<S3ObjectStore> {
    const bucket = `faults-${++bucketCount}`;
    const direct = await s3.store(bucket);
    for (const [name, content] of Object.entries(files)) await direct.put(`Stocks/${name}.us.csv`, content);
    await direct.put(KEYS.companyList, Object.keys(files).join('\n') + '\n');
    return new S3ObjectStore({ bucket, prefix: '', endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true, requestTimeoutMs: TIMEOUT_MS });
  }

  function context(store: ObjectStore, runId: string): PipelineContext {
    return { ...pipelineContext(database.pool, store, runId), fileRead: { attempts: 3, backoffMs: 50 } };
  }

  async function companyRows(company: string): Promise<number> {
    const result = await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = $1', [company]);
    return result.rows[0].n as number;
  }

  async function mailOf(runId: string): Promise<{ subject: string; body: string }> {
    const result = await database.pool.query('SELECT subject, body FROM stockflow.outbox WHERE run_id = $1', [runId]);
    return result.rows[0];
  }

  it('fails a run whose GET never answers, in bounded time, never holding the table lock while it waits', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ slow: stockFile(50) });
    await database.pool.query("INSERT INTO historical_stocks_data VALUES ('1999-01-04', 1, 1, 1, 1, 1, 0, 0, 'slow')");
    const before = await tableDigest(database.pool);
    proxy.stall({ key: 'Stocks/slow.us.csv' });

    const started = Date.now();
    const running = runPipeline(context(store, 'stalled-get'));
    while (proxy.count({ key: 'Stocks/slow.us.csv' }) === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    const locks = await database.pool.query("SELECT count(*)::int AS n FROM pg_locks WHERE relation = 'public.historical_stocks_data'::regclass AND pid <> pg_backend_pid()");
    assert.equal(locks.rows[0].n, 0, 'no lock on the table while no rows are ready');

    const summary = await running;
    assert.ok(Date.now() - started < 15_000, `ended after ${Date.now() - started} ms`);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'transform');
    assert.match(summary.error!.message, /Stocks\/slow\.us\.csv could not be read \(3 attempts\)/);
    assert.match(summary.error!.message, /timed out/);
    assert.ok(proxy.count({ key: 'Stocks/slow.us.csv' }) >= 3, 'each read attempt asked again');
    assert.deepEqual(await tableDigest(database.pool), before);
    const mail = await mailOf('stalled-get');
    assert.match(mail.subject, /_Pipeline_Failure$/);
    assert.match(mail.body, /Stocks\/slow\.us\.csv/);
  });

  it('gives up on a body that stops part-way and reads the file again from the start', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ pause: stockFile(400), other: stockFile(10) });
    proxy.stall({ key: 'Stocks/pause.us.csv' }, { afterBytes: 1000, times: 1 });
    const summary = await runPipeline(context(store, 'stalled-body'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.equal(proxy.count({ key: 'Stocks/pause.us.csv' }), 2);
    assert.equal(await companyRows('pause'), 400);
    assert.deepEqual(summary.rows, { read: 410, loaded: 410, rejected: 0 });
  });

  it('reads a file again from the start when its body is cut once', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ cutonce: stockFile(300) });
    proxy.cut({ key: 'Stocks/cutonce.us.csv' }, 2000, { times: 1 });
    const summary = await runPipeline(context(store, 'cut-once'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.equal(proxy.count({ key: 'Stocks/cutonce.us.csv' }), 2);
    assert.equal(await companyRows('cutonce'), 300);
  });

  it('fails the run, naming the file, when a body is cut on every attempt; the table keeps its rows', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ cutonce: stockFile(300, 3), broken: stockFile(300) });
    await database.pool.query("INSERT INTO historical_stocks_data VALUES ('1999-01-04', 1, 1, 1, 1, 1, 0, 0, 'broken')");
    const before = await tableDigest(database.pool);
    proxy.cut({ key: 'Stocks/broken.us.csv' }, 2000);
    const summary = await runPipeline(context(store, 'cut-always'));
    assert.equal(summary.status, 'failed');
    assert.match(summary.error!.message, /Stocks\/broken\.us\.csv could not be read \(3 attempts\)/);
    assert.equal(proxy.count({ key: 'Stocks/broken.us.csv' }), 3);
    assert.deepEqual(await tableDigest(database.pool), before, 'no company of the batch was replaced');
    const mail = await mailOf('cut-always');
    assert.match(mail.subject, /_Pipeline_Failure$/);
    assert.match(mail.body, /Error in step transform: Stocks\/broken\.us\.csv could not be read/);
  });

  it('rides out a few 500s, and fails the run on a store that keeps answering 500', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ flaky: stockFile(20) });
    proxy.fail({ key: 'Stocks/flaky.us.csv' }, 500, { times: 2 });
    const ok = await runPipeline(context(store, 'five-hundred-twice'));
    assert.equal(ok.status, 'success', JSON.stringify(ok.error));
    assert.equal(await companyRows('flaky'), 20);

    proxy.clear();
    proxy.fail({ key: 'Stocks/flaky.us.csv' }, 500);
    const failed = await runPipeline(context(store, 'five-hundred-always'));
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!.message, /Stocks\/flaky\.us\.csv could not be read/);
  });

  it(
    "sends stockflow run's output up in one PutObject once every row is read, leaving no local copy, whether the run succeeds or fails; a step run alone streams it in parts",
    { timeout: 30_000 },
    async () => {
      const spoolParent = await mkdtemp(join(tmpdir(), 'spool-parent-'));
      const spooling = (runId: string): PipelineContext => ({ ...context(store, runId), spoolDir: spoolParent });
      // 7 MB of output: streamed as it is written, it would go up in 5 MiB parts.
      const store = await bucketWith({ first: stockFile(60_000), second: stockFile(60_000, 3), third: stockFile(60_000, 4) });
      try {
        const summary = await runPipeline(spooling('one-put'));
        assert.equal(summary.status, 'success', JSON.stringify(summary.error));
        const outputKey = runOutputKeys('one-put').output;
        const puts = proxy.requests({ method: 'PUT', key: outputKey });
        assert.equal(puts.length, 1);
        assert.equal(proxy.count({ method: 'POST', key: outputKey }), 0, 'no multipart upload');
        const published = Buffer.from(await streamToString(await store.get(KEYS.output)));
        assert.equal(published.toString().split('\n').filter(Boolean).length, 180_000);
        assert.ok(published.length > 5 * 1024 * 1024, `${published.length} bytes`);
        assert.equal(puts[0]!.headers['x-amz-checksum-crc32'], crc32Base64(crc32(published)));
        assert.deepEqual(await readdir(spoolParent), []);

        proxy.cut({ key: 'Stocks/third.us.csv' }, 2000);
        const failed = await runPipeline(spooling('one-put-failed'));
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error?.step, 'transform');
        assert.equal(proxy.count({ method: 'PUT', key: runOutputKeys('one-put-failed').output }), 0);
        assert.deepEqual(await readdir(spoolParent), []);

        // A transform step run on its own (an Airflow task) streams its output in parts, as it writes it.
        proxy.clear();
        const step = context(store, 'one-step');
        await runStep(step, 'discover');
        await runStep(step, 'transform');
        assert.equal(proxy.count({ method: 'POST', key: runOutputKeys('one-step').output }), 2, 'a multipart upload begun and completed');
        assert.ok(proxy.count({ method: 'PUT', path: /partNumber=/ }) >= 2);
      } finally {
        await rm(spoolParent, { recursive: true, force: true });
      }
    },
  );

  it('fails the run before reading a file when the spool folder cannot be written, saying which setting moves it', { timeout: 30_000 }, async () => {
    const blocker = join(await mkdtemp(join(tmpdir(), 'spool-blocked-')), 'a-file');
    await writeFile(blocker, 'not a folder');
    const store = await bucketWith({ unread: stockFile(10) });
    const summary = await runPipeline({ ...context(store, 'spool-blocked'), spoolDir: join(blocker, 'spool') });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'transform');
    assert.match(summary.error!.message, /cannot be written .*set STOCKFLOW_DATA_DIR to a writable folder/);
    assert.equal(proxy.count({ key: 'Stocks/unread.us.csv' }), 0);
    await rm(dirname(blocker), { recursive: true });
  });

  it('times out every kind of S3 call that gets no answer', { timeout: 30_000 }, async () => {
    const store = await bucketWith({ any: stockFile(1) });
    proxy.stall({ path: /\?.*list-type=2/ });
    proxy.stall({ method: 'HEAD', key: 'Stocks/any.us.csv' });
    proxy.stall({ method: 'PUT', key: 'Output/x.csv' });
    proxy.stall({ method: 'DELETE', key: 'Stocks/any.us.csv' });
    const bounded = async (name: string, call: () => Promise<unknown>): Promise<void> => {
      const started = Date.now();
      await assert.rejects(call(), /timed out|TimeoutError/, name);
      assert.ok(Date.now() - started < 8_000, `${name} took ${Date.now() - started} ms`);
    };
    await bounded('list', async () => {
      for await (const object of store.list('Stocks/')) void object;
    });
    await bounded('head', () => store.head('Stocks/any.us.csv'));
    await bounded('put', () => store.put('Output/x.csv', 'x'));
    // Tried three times, each bounded.
    const folder = await mkdtemp(join(tmpdir(), 'put-file-'));
    await writeFile(join(folder, 'x.csv'), 'x');
    await bounded('putFile', () => store.putFile('Output/x.csv', { path: join(folder, 'x.csv'), size: 1, crc32: crc32('x') }));
    await rm(folder, { recursive: true });
    await bounded('delete', () => store.delete('Stocks/any.us.csv'));
  });

  it('removes what killed runs left in a folder bucket at the next run, but not a write in progress', { timeout: 30_000 }, async () => {
    const root = await mkdtemp(join(tmpdir(), 'stockflow-partials-'));
    try {
      const store = new FolderObjectStore(root);
      await store.put('Stocks/left.us.csv', stockFile(5));
      await store.put(KEYS.companyList, 'left\n');
      const hoursAgo = new Date(Date.now() - 2 * 3600_000);
      const leftovers = ['Output/historical_stock_data.csv.partial-1b2c', 'Output/runs/killed/rejects.csv.partial-3d4e'];
      for (const key of [...leftovers, 'Output/manifest.json.partial-fresh']) {
        await mkdir(dirname(join(root, key)), { recursive: true });
        await writeFile(join(root, key), 'half');
      }
      for (const key of leftovers) await utimes(join(root, key), hoursAgo, hoursAgo);
      const summary = await runPipeline(context(store, 'after-killed'));
      assert.equal(summary.status, 'success', JSON.stringify(summary.error));
      assert.deepEqual((await readdir(join(root, 'Output'))).sort(), ['historical_stock_data.csv', 'manifest.json', 'manifest.json.partial-fresh', 'rejects.csv', 'runs']);
      assert.deepEqual(await readdir(join(root, 'Output/runs')), ['after-killed']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('publishes Output/ only from a run that committed, under the run id until then, and cleans stale run files', { timeout: 60_000 }, async () => {
    const store = await bucketWith({ pub: stockFile(30) });
    const published = async (): Promise<{ runId: string; output: string }> => ({
      runId: (JSON.parse(await streamToString(await store.get(KEYS.manifest))) as { runId: string }).runId,
      output: await streamToString(await store.get(KEYS.output)),
    });
    const keys = async (): Promise<string[]> => {
      const found: string[] = [];
      for await (const object of store.list('Output/')) found.push(object.key);
      return found;
    };

    const first = 'manual__2026-11-25T10:00:00+00:00';
    assert.equal((await runPipeline(context(store, first))).status, 'success');
    const afterFirst = await published();
    assert.equal(afterFirst.runId, first);
    assert.equal(afterFirst.output.split('\n').filter(Boolean).length, 30);

    // A run whose load fails leaves Output/ as the committed run published it.
    await store.put('Stocks/pub.us.csv', stockFile(40));
    await database.pool.query("ALTER TABLE historical_stocks_data ADD CONSTRAINT test_no_pub CHECK (company_name <> 'pub') NOT VALID");
    try {
      const failed = await runPipeline(context(store, 'load-fails'));
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error?.step, 'load');
    } finally {
      await database.pool.query('ALTER TABLE historical_stocks_data DROP CONSTRAINT test_no_pub');
    }
    assert.deepEqual(await published(), afterFirst);
    assert.ok(
      (await keys()).some((key) => key.startsWith('Output/runs/load-fails/')),
      'the failed run wrote under its own id',
    );
    await store.put('Output/runs/load-fails/rejects.csv', 'file,line,raw,reason\nStocks/pub.us.csv,9,x,y\n');
    assert.match(await streamToString((await openRunRejects(store, 'load-fails'))!), /pub\.us\.csv,9/);

    // A run killed part-way (no step recorded its end) left files behind.
    await store.put('Output/runs/killed-run/historical_stock_data.csv', 'half');
    const third = await runPipeline({ ...context(store, 'third'), staleOutputAfterMs: 0 });
    assert.equal(third.status, 'success', JSON.stringify(third.error));
    const afterThird = await published();
    assert.equal(afterThird.runId, 'third');
    assert.equal(afterThird.output.split('\n').filter(Boolean).length, 40);
    const left = await keys();
    assert.ok(!left.some((key) => /Output\/runs\/(killed-run|load-fails|manual)/.test(key)), left.join(', '));
    assert.ok(left.includes('Output/runs/third/rejects.csv'), 'the published run keeps its rejects for the download route');
    assert.ok(!left.includes('Output/runs/third/historical_stock_data.csv'), 'no second copy of the published output');
    assert.equal(await openRunRejects(store, 'load-fails'), null);
    assert.equal(await openRunRejects(store, first), null);
    assert.equal(await streamToString((await openRunRejects(store, 'third'))!), 'file,line,raw,reason\n');
  });
});
