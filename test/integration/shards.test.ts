import assert from 'node:assert/strict';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { PgStepResults } from '../../server/adapters/pg-step-results';
import { migrate } from '../../server/db/migrate';
import { type DiscoveryResult, shardsOf } from '../../server/pipeline/discover';
import { runOutputKeys } from '../../server/pipeline/output-layout';
import { allShards, type Shard, shardOfCompany } from '../../server/pipeline/shard';
import { fileCounts, shardFileLists } from '../../server/pipeline/shard-file-lists';
import { runStep } from '../../server/pipeline/steps';
import { forEachConcurrently, streamToString } from '../../server/pipeline/streams';
import { summarizeRun } from '../../server/pipeline/summary';
import type { LoadResult } from '../../server/ports/stock-table';
import { stockflow } from '../helpers/cli';
import { pipelineContext, tableDigest } from '../helpers/pipeline';
import { createTestDatabase, seedOtherCompanies, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';
import { FILES, type Product, product, sampleSource, shardedRun, sortedLines } from '../helpers/sample-product';

describe('shards: one run split over processes', () => {
  let source: string;
  let whole: Product;
  let sharded: Product;
  before(async () => {
    source = await sampleSource();
    [whole, sharded] = await Promise.all([product('shards_whole', source), product('shards_split', source)]);
  });
  after(async () => {
    for (const target of [whole, sharded]) {
      await target?.database.drop();
      if (target) await rm(target.dataDir, { recursive: true, force: true });
    }
    if (source) await rm(source, { recursive: true, force: true });
  });

  it('three shards as separate processes give exactly the table, output and rejects one whole run gives; a first load loads their parts as one', async () => {
    const run = await stockflow(['run', '--json'], whole.env);
    assert.equal(run.code, 0, run.stderr);
    const wholeSummary = JSON.parse(run.stdout);

    const runId = 'manual__2026-11-25T12:00:00+00:00';
    const shards = await shardedRun(sharded, runId, { shards: 3 });
    assert.deepEqual(shards, ['1/3', '2/3', '3/3']);

    const [expected, actual] = await Promise.all([tableDigest(whole.database.pool), tableDigest(sharded.database.pool)]);
    assert.equal(actual.rows, wholeSummary.rows.loaded);
    assert.deepEqual(actual, expected);

    const tasks = await sharded.database.pool.query<{ step: string; status: string }>('SELECT step, status FROM stockflow.task_runs WHERE run_id = $1 ORDER BY step', [runId]);
    assert.deepEqual(
      tasks.rows.map((row) => `${row.step}:${row.status}`),
      ['discover:success', 'load[1/3]:success', 'load[2/3]:success', 'load[3/3]:success', 'notify:success', 'transform[1/3]:success', 'transform[2/3]:success', 'transform[3/3]:success'],
    );
    // The table held none of the batch, so a load rebuilds it: shard 1 loaded every shard's part
    // in one transaction, the others recorded that it took their rows.
    assert.equal((await discoveryOf(sharded, runId)).oneLoad, true);
    const loads = await loadResults(sharded, runId);
    assert.deepEqual(
      loads.map((row) => [row.step, row.result.companies, row.result.rowsLoaded, row.result.loadedWith ?? null]),
      [
        ['load[1/3]', wholeSummary.companies, wholeSummary.rows.loaded, null],
        ['load[2/3]', 0, 0, '1/3'],
        ['load[3/3]', 0, 0, '1/3'],
      ],
    );

    // One published output, rejects and manifest, as a whole run leaves them.
    const published = (product: Product, name: string) => join(product.dataDir, 'buckets/source/Output', name);
    assert.deepEqual(await sortedLines(published(sharded, 'historical_stock_data.csv')), await sortedLines(published(whole, 'historical_stock_data.csv')));
    const rejects = await sortedLines(published(sharded, 'rejects.csv'), true);
    assert.equal(rejects.length, 1);
    assert.deepEqual(rejects, await sortedLines(published(whole, 'rejects.csv'), true));
    assert.equal((await readFile(published(sharded, 'rejects.csv'), 'utf8')).split('\n')[0], 'file,line,raw,reason');
    const manifest = JSON.parse(await readFile(published(sharded, 'manifest.json'), 'utf8'));
    assert.equal(manifest.runId, runId);
    assert.equal(manifest.totals.rowsKept, wholeSummary.rows.loaded);
    assert.equal(manifest.companies.length, FILES);
    assert.deepEqual(await readdir(join(sharded.dataDir, 'buckets/source/Output/runs')).catch(() => []), [runId].map(encodeURIComponent), 'only the published run keeps a folder');

    // The run's record and its mail merge the shards.
    const recorded = await sharded.database.pool.query('SELECT status, summary FROM stockflow.runs WHERE id = $1', [runId]);
    assert.equal(recorded.rows[0].status, 'success');
    assert.equal(recorded.rows[0].summary.rows.loaded, wholeSummary.rows.loaded);
    assert.deepEqual(recorded.rows[0].summary.files, wholeSummary.files);
    assert.equal(recorded.rows[0].summary.changes.totals.added, wholeSummary.rows.loaded);
    const mail = await sharded.database.pool.query('SELECT subject, body FROM stockflow.outbox WHERE run_id = $1', [runId]);
    assert.equal(mail.rows[0].subject, 'C4_Shard_Test_Pipeline_Success');
    assert.match(mail.rows[0].body, new RegExp(`Rows: +${wholeSummary.rows.read} read, ${wholeSummary.rows.loaded} loaded, 1 rejected`));
  });

  it('a later batch of a few changed files loads per shard: each shard commits only its own companies', async () => {
    // One changed file in each shard's companies (a day more); the others are skipped as unchanged.
    const names = (await readdir(join(whole.dataDir, 'buckets/source/Stocks'))).sort();
    const changed = [1, 2, 3].map((index) => names.find((name) => shardOfCompany(name.split('.')[0]!, 3) === index)!);
    for (const target of [whole, sharded]) {
      for (const name of changed) {
        const path = join(target.dataDir, 'buckets/source/Stocks', name);
        await writeFile(path, `${(await readFile(path, 'utf8')).trimEnd()}\n2017-11-13,1,2,0.5,1.5,100,0\n`);
      }
    }
    const run = await stockflow(['run', '--json'], whole.env);
    assert.equal(run.code, 0, run.stderr);
    const runId = 'manual__2026-11-25T12:30:00+00:00';
    await shardedRun(sharded, runId, { shards: 3 });

    const [expected, actual] = await Promise.all([tableDigest(whole.database.pool), tableDigest(sharded.database.pool)]);
    assert.deepEqual(actual, expected);
    assert.equal((await discoveryOf(sharded, runId)).oneLoad, undefined, 'three files are a small share of the table: no rebuild');
    const loads = await loadResults(sharded, runId);
    assert.deepEqual(
      loads.map((row) => [row.step, row.result.companies, row.result.loadedWith ?? null]),
      [
        ['load[1/3]', 1, null],
        ['load[2/3]', 1, null],
        ['load[3/3]', 1, null],
      ],
    );
    const recorded = await sharded.database.pool.query('SELECT summary FROM stockflow.runs WHERE id = $1', [runId]);
    assert.equal(recorded.rows[0].summary.changes.totals.added, 3);
  });

  it('in replace mode the shards together leave exactly the batch: each removes only its own unlisted companies', async () => {
    // Companies outside the batch, one per shard at least, in both tables, with rows enough that the
    // batch is under a quarter of the table: each shard loads (and removes) its own.
    const strangers = ['zz1', 'zz2', 'zz3', 'zz4', 'zz5', 'zz6', 'zz7', 'zz8'];
    assert.equal(new Set(strangers.map((name) => shardOfCompany(name, 3))).size, 3, 'the strangers fall in every shard');
    for (const target of [whole, sharded]) await seedOtherCompanies(target.database.pool, { companies: strangers, days: 60_000 });
    const run = await stockflow(['run', '--mode', 'replace', '--json'], whole.env);
    assert.equal(run.code, 0, run.stderr);
    const runId = 'manual__2026-11-25T13:00:00+00:00';
    await shardedRun(sharded, runId, { shards: 3, load_mode: 'replace' });

    const [expected, actual] = await Promise.all([tableDigest(whole.database.pool), tableDigest(sharded.database.pool)]);
    assert.deepEqual(actual, expected);
    const left = await sharded.database.pool.query("SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name LIKE 'zz%'");
    assert.equal(left.rows[0].n, 0);
    const recorded = await sharded.database.pool.query('SELECT summary FROM stockflow.runs WHERE id = $1', [runId]);
    assert.equal(recorded.rows[0].summary.companiesRemoved, strangers.length);
    assert.equal(recorded.rows[0].summary.loadMode, 'replace');
    assert.equal((await discoveryOf(sharded, runId)).oneLoad, undefined);
    for (const row of await loadResults(sharded, runId)) assert.ok(row.result.companies > 0 && row.result.companiesRemoved > 0, `${row.step} loaded and removed its own companies`);
  });

  it("a run loaded as one: shard 1's load waits for no other load but needs every shard's transform", async () => {
    const runId = 'manual__2026-11-25T13:30:00+00:00';
    const fresh = await product('shards_one_load', source);
    try {
      const step = (args: string[]) => stockflow(['step', ...args, '--run-id', runId, '--conf', JSON.stringify({ shards: 2 })], fresh.env);
      assert.equal((await step(['discover'])).code, 0);
      assert.equal((await step(['transform', '--shard', '1/2'])).code, 0);
      const early = await step(['load', '--shard', '1/2']);
      assert.notEqual(early.code, 0);
      assert.match(early.stderr, /shard 1\/2 loads the rows of every shard, but transform\[2\/2\] has not succeeded yet/);
      assert.equal((await fresh.database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data')).rows[0].n, 0);
      assert.equal((await step(['transform', '--shard', '2/2'])).code, 0);
      // A part gone (a later run's clean-up, say) is named before anything is loaded.
      const part = join(fresh.dataDir, 'buckets/source', runOutputKeys(runId, { index: 2, count: 2 }).output);
      const kept = await readFile(part);
      await rm(part);
      const partless = await step(['load', '--shard', '1/2']);
      assert.notEqual(partless.code, 0);
      assert.match(partless.stderr, /A shard's output of run .* is gone/);
      await writeFile(part, kept);
      // Shard 1 alone loads the whole batch in one transaction.
      assert.equal((await step(['load', '--shard', '1/2'])).code, 0);
      const loaded = await fresh.database.pool.query('SELECT count(DISTINCT company_name)::int AS n FROM historical_stocks_data');
      assert.equal(loaded.rows[0].n, FILES);
    } finally {
      await fresh.database.drop();
      await rm(fresh.dataDir, { recursive: true, force: true });
    }
  });

  it('refuses a shard of discover or notify, a bad shard, and a shard count other than the one discover fixed', async () => {
    const runId = 'manual__2026-11-25T14:00:00+00:00';
    const step = (args: string[]) => stockflow(['step', ...args, '--run-id', runId], sharded.env);
    const discoverShard = await step(['discover', '--shard', '1/2']);
    assert.notEqual(discoverShard.code, 0);
    assert.match(discoverShard.stderr, /--shard applies to transform and load/);
    const bad = await step(['transform', '--shard', '4/3']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /i is 1 to N/);
    assert.equal((await step(['discover'])).code, 0);
    const mismatch = await step(['transform', '--shard', '1/2']);
    assert.notEqual(mismatch.code, 0);
    assert.match(mismatch.stderr, /discover split run .* into 1 shards, not 2/);
  });

  it("names a shard's missing or malformed file list as the run's input, and asks for discover again", async () => {
    const runId = 'manual__2026-11-25T15:00:00+00:00';
    const step = (args: string[]) => stockflow(['step', ...args, '--run-id', runId, '--conf', JSON.stringify({ shards: 2 })], sharded.env);
    assert.equal((await step(['discover'])).code, 0);
    const list = join(sharded.dataDir, 'buckets/source', runOutputKeys(runId, { index: 1, count: 2 }).fileLists);
    for (const [content, cause] of [
      ['{"files": [', /JSON/],
      ['{"files": [{"company": "a"}], "unchanged": []}', /expected string/],
    ] as const) {
      await writeFile(list, content);
      const transform = await step(['transform', '--shard', '1/2']);
      assert.notEqual(transform.code, 0);
      assert.match(transform.stderr, /shard 1\/2 of run .* has no file list at .*files\.json/);
      assert.match(transform.stderr, cause);
    }
    await rm(list);
    assert.match((await step(['transform', '--shard', '1/2'])).stderr, /has no file list .*run discover again/);
  });
});

async function discoveryOf(target: Product, runId: string): Promise<DiscoveryResult> {
  const row = await target.database.pool.query<{ result: DiscoveryResult }>("SELECT result FROM stockflow.step_results WHERE run_id = $1 AND step = 'discover'", [runId]);
  return row.rows[0]!.result;
}

async function loadResults(target: Product, runId: string): Promise<Array<{ step: string; result: LoadResult }>> {
  const rows = await target.database.pool.query<{ step: string; result: LoadResult }>("SELECT step, result FROM stockflow.step_results WHERE run_id = $1 AND step LIKE 'load[%' ORDER BY step", [
    runId,
  ]);
  return rows.rows;
}

describe('shards: a full bucket of 7,192 tickers with 1,000 listed (s3rver)', () => {
  const TICKERS = 7_192;
  const LISTED = 1_000;
  let s3: TestS3;
  let database: TestDatabase;
  before(async () => {
    [s3, database] = await Promise.all([startTestS3(), createTestDatabase('shards_bucket')]);
    await migrate(database.pool);
  });
  after(async () => {
    await s3?.close();
    await database?.drop();
  });

  it('lists past S3 pages of 1,000 keys and loads exactly the listed companies, through 4 shards side by side', async () => {
    const source = await s3.store('full-bucket');
    const tickers = Array.from({ length: TICKERS }, (_, position) => `t${String(position).padStart(4, '0')}`);
    const file = (position: number) => `Date,Open,High,Low,Close,Volume,OpenInt\n2017-01-03,${10 + (position % 7)},12,9,11,${1000 + position},0\n2017-01-04,11,13,10,12.5,${2000 + position},0\n`;
    await forEachConcurrently([...tickers.keys()], 32, async (position) => source.put(`Stocks/${tickers[position]}.us.txt`, file(position)));
    // Every seventh ticker, 1,000 of them: listed ones are spread over the whole key space.
    const listed = tickers.filter((_, position) => position % 7 === 0).slice(0, LISTED);
    await source.put('CompanyNames/top_companies.txt', listed.map((ticker) => `'${ticker}.us.txt'`).join(', '));

    const runId = 'event__full-bucket';
    const context = (shard?: Shard) => ({ ...pipelineContext(database.pool, source, runId), shards: 4, shard });
    const discovered = await runStep(context(), 'discover');
    const discovery = discovered.result as DiscoveryResult;
    // The record keeps counts; each shard's files are in its own list, together exactly the listed ones.
    assert.deepEqual(fileCounts(discovery), { files: LISTED, unchanged: 0 });
    assert.deepEqual(discovery.files, []);
    const lists = await Promise.all(allShards(4).map((shard) => shardFileLists(context(shard), discovery, shard)));
    assert.deepEqual(lists.flatMap((list) => list.files.map((found) => found.company)).sort(), [...listed].sort());
    await assert.rejects(shardFileLists(context(), discovery, undefined), /split into 4 shards: give the step one of them/);
    assert.equal(discovery.unlistedFiles, TICKERS - LISTED);
    assert.deepEqual(shardsOf(discovery), ['1/4', '2/4', '3/4', '4/4']);
    for (const step of ['transform', 'load'] as const) {
      await Promise.all(allShards(4).map((shard) => runStep(context(shard), step)));
    }
    await runStep(context(), 'notify');

    const companies = await database.pool.query<{ company_name: string; rows: number }>('SELECT company_name, count(*)::int AS rows FROM historical_stocks_data GROUP BY 1 ORDER BY 1');
    assert.deepEqual(
      companies.rows.map((row) => row.company_name),
      [...listed].sort(),
    );
    assert.ok(companies.rows.every((row) => row.rows === 2));
    const summary = summarizeRun(runId, await new PgStepResults(database.pool).list(runId));
    assert.equal(summary.status, 'success');
    assert.deepEqual(summary.rows, { read: 2 * LISTED, loaded: 2 * LISTED, rejected: 0 });
    assert.equal(summary.companies, LISTED);
    const output = await streamToString(await source.get('Output/historical_stock_data.csv'));
    assert.equal(output.split('\n').filter(Boolean).length, 2 * LISTED);
  });
});
