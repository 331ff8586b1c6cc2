import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import { parseCsvLine } from '../../server/pipeline/csv';
import { runOutputKeys } from '../../server/pipeline/output-layout';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { runStep } from '../../server/pipeline/steps';
import { streamToString } from '../../server/pipeline/streams';
import type { Manifest } from '../../server/pipeline/transform';
import type { ObjectStore } from '../../server/ports/object-store';
import { formatCompanyList, generateSyntheticSeed, seedSynthetic } from '../../server/seed/synthetic';
import { type CapturedLog, pipelineContext, tableDigest } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

describe('pipeline against PostgreSQL and an S3-compatible server', () => {
  let database: TestDatabase;
  let s3: TestS3;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('pipeline'), startTestS3()]);
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
  });

  async function readOutput(store: ObjectStore, key: string): Promise<string> {
    return streamToString(await store.get(key));
  }

  it('loads synthetic data end to end, with totals matching an independent count', async () => {
    const store = await s3.store('synthetic-source', 'team/');
    await seedSynthetic(store, 60);
    const seed = generateSyntheticSeed(60);
    // Independent count: every non-blank line that is not the header, in listed files that exist.
    let expectedRows = 0;
    let emptyFiles = 0;
    for (const ticker of seed.tickers) {
      const lines = seed.files
        .get(`${ticker}.us.csv`)!
        .split('\r\n')
        .filter((line) => line && !line.startsWith('Date'));
      expectedRows += lines.length;
      if (lines.length === 0) emptyFiles += 1;
    }

    const summary = await runPipeline(pipelineContext(database.pool, store, 'synthetic-1'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.deepEqual(summary.files, { listed: 61, found: 60, missing: 1, empty: emptyFiles, failed: 0, unchanged: 0, appended: 0 });
    assert.deepEqual(summary.rows, { read: expectedRows, loaded: expectedRows, rejected: 0 });
    assert.equal(summary.companies, 60);
    assert.equal((await tableDigest(database.pool)).rows, expectedRows);

    const output = await readOutput(store, KEYS.output);
    assert.equal(output.split('\n').filter(Boolean).length, expectedRows);
    const manifest = JSON.parse(await readOutput(store, KEYS.manifest)) as Manifest;
    assert.equal(manifest.totals.rowsKept, expectedRows);
    for (const file of manifest.files) assert.equal(file.rowsRead, file.rowsKept + file.rowsRejected, file.key);
    assert.equal(await readOutput(store, KEYS.rejects), 'file,line,raw,reason\n');

    const outbox = await database.pool.query('SELECT subject, body FROM stockflow.outbox WHERE run_id = $1', ['synthetic-1']);
    assert.equal(outbox.rows[0].subject, 'C9_Test_Runner_Pipeline_Success');
    assert.match(outbox.rows[0].body, new RegExp(`${expectedRows} read, ${expectedRows} loaded, 0 rejected`));
  });

  it('is idempotent: the same batch again leaves the table exactly as it was', async () => {
    const store = await s3.store('synthetic-source', 'team/');
    const before = await tableDigest(database.pool);
    const indexes = async () => (await database.pool.query("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'historical_stocks_data' ORDER BY 1")).rows;
    const indexesBefore = await indexes();
    // A company outside the batch must survive the bulk (rebuild and swap) path.
    await database.pool.query("INSERT INTO historical_stocks_data VALUES ('2001-01-02', 1, 1, 1, 1, 1, 0, 0, 'outsider')");
    const logs: CapturedLog[] = [];
    const summary = await runPipeline(pipelineContext(database.pool, store, 'synthetic-2', logs));
    assert.equal(summary.status, 'success');
    assert.ok(
      logs.some((entry) => /bulk load/.test(entry.message)),
      'a full batch takes the bulk path',
    );
    assert.deepEqual(await indexes(), indexesBefore, 'keys and indexes come back with their names');
    await database.pool.query("DELETE FROM historical_stocks_data WHERE company_name = 'outsider'");
    assert.deepEqual(await tableDigest(database.pool), before);
  });

  it('counts, reports and keeps every bad row, and survives every awkward file', async () => {
    const store = await s3.store('awkward');
    const files: Record<string, string> = {
      'good.us.csv': 'Date,Open,High,Low,Close,Volume,OpenInt\n2017-01-03,10,11,9,10.5,100,0\n2017-01-04,10.5,11,10,10,200,0\n',
      'bom.us.csv': '\uFEFFDate,Open,High,Low,Close,Volume,OpenInt\r\n2017-01-03,1.1,1.2,1,1.0,5,0\r\n\r\n\r\n',
      'quoted.us.csv': 'Date,Open,High,Low,Close,Volume,OpenInt\n"2017-01-03","3","4","2","4","7","0"\n',
      'empty.us.csv': '',
      'headeronly.us.csv': 'Date,Open,High,Low,Close,Volume,OpenInt\r\n',
      'zero.us.csv': 'Date,Open,High,Low,Close,Volume,OpenInt\n2008-02-07,0,12.138,0,12.138,0,0\n',
      'bad.us.txt': [
        'Date,Open,High,Low,Close,Volume,OpenInt',
        '2017-01-03,1,1,1,1,1,0',
        '2017-02-30,1,1,1,1,1,0',
        '2017-01-04,-1,1,1,1,1,0',
        '2017-01-05,1,1,1,1,1.5,0',
        '2017-01-06,1,1,1,1',
        '2017-01-03,2,2,2,2,2,0',
        '"2017-01-09,1,1,1,1,1,0',
        '2017-01-10,1,1,1,2,1,0',
      ].join('\n'),
      'wrongheader.csv': 'Ticker,Day,Price\nx,2017-01-03,1\n',
    };
    for (const [name, content] of Object.entries(files)) await store.put(`Stocks/${name}`, content);
    await store.put('Stocks/notlisted.us.csv', files['good.us.csv']!);
    await store.put(KEYS.companyList, 'good\n\'bom.us.csv\'\n"quoted"\nempty\nheaderonly\nzero\nbad\nwrongheader\ngood\nghost\n../x\n');

    const logs: CapturedLog[] = [];
    const summary = await runPipeline(pipelineContext(database.pool, store, 'awkward-1', logs));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.deepEqual(summary.files, { listed: 9, found: 8, missing: 1, empty: 2, failed: 1, unchanged: 0, appended: 0 });
    // good 2 + bom 1 + quoted 1 + zero 1 + bad 8 (2 kept) = 13 read; 6 rejected.
    assert.deepEqual(summary.rows, { read: 13, loaded: 7, rejected: 6 });

    const rejects = (await readOutput(store, KEYS.rejects))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const parsed = parseCsvLine(line);
        assert.ok(parsed.ok);
        return parsed.fields;
      });
    assert.deepEqual(
      rejects.map(([file, line]) => `${file}:${line}`),
      [3, 4, 5, 6, 7, 8].map((line) => `Stocks/bad.us.txt:${line}`),
    );
    assert.match(rejects[0]![3]!, /^Date/);
    assert.match(rejects[1]![3]!, /^Open/);
    assert.match(rejects[2]![3]!, /^Volume/);
    assert.match(rejects[3]![3]!, /7 columns/);
    assert.match(rejects[4]![3]!, /duplicate Date 2017-01-03 \(first at line 2\)/);
    assert.match(rejects[5]![3]!, /unterminated/);
    assert.equal(rejects[5]![2], '"2017-01-09,1,1,1,1,1,0');

    const manifest = JSON.parse(await readOutput(store, KEYS.manifest)) as Manifest;
    const failed = manifest.files.find((file) => file.company === 'wrongheader')!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.error!, /unexpected header/);
    assert.ok(logs.some((entry) => entry.level === 'warn' && entry.message.includes('ghost')));
    assert.ok(logs.some((entry) => entry.message.includes('listed more than once: good')));

    const rows = await database.pool.query(
      `SELECT company_name, stock_date::text, open_value::text, close_value::text, daily_percent_change::text, value_change::text
         FROM historical_stocks_data WHERE company_name IN ('bom', 'zero', 'quoted', 'bad') ORDER BY company_name, stock_date`,
    );
    assert.deepEqual(rows.rows, [
      { company_name: 'bad', stock_date: '2017-01-03', open_value: '1', close_value: '1', daily_percent_change: '0', value_change: '0' },
      { company_name: 'bad', stock_date: '2017-01-10', open_value: '1', close_value: '2', daily_percent_change: '100', value_change: '1' },
      { company_name: 'bom', stock_date: '2017-01-03', open_value: '1.1', close_value: '1.0', daily_percent_change: '-9.090909', value_change: '-0.1' },
      { company_name: 'quoted', stock_date: '2017-01-03', open_value: '3', close_value: '4', daily_percent_change: '33.333333', value_change: '1' },
      { company_name: 'zero', stock_date: '2008-02-07', open_value: '0', close_value: '12.138', daily_percent_change: null, value_change: '12.138' },
    ]);
  });

  it('fails the transform, naming the file, when a listed file is gone before it is read; the table keeps its rows', async () => {
    const store = await s3.store('awkward');
    const context = pipelineContext(database.pool, store, 'awkward-2');
    await runStep(context, 'discover');
    await store.delete('Stocks/good.us.csv');
    await assert.rejects(runStep(context, 'transform'), /Stocks\/good\.us\.csv could not be read \(1 attempt\): No object/);
    await assert.rejects(runStep(context, 'load'), /has no successful transform step/);
    const kept = await database.pool.query("SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = 'good'");
    assert.equal(kept.rows[0].n, 2);
  });

  it('fails the run when a file stays unreadable after its retries, leaving the table as it was', async () => {
    const real = await s3.store('awkward');
    await real.put('Stocks/good.us.csv', 'Date,Open,High,Low,Close,Volume,OpenInt\n2017-01-03,10,11,9,10.5,100,0\n');
    const before = await tableDigest(database.pool);
    let reads = 0;
    // The object exists when listed but every read fails, as with a permissions or network error.
    const flaky: ObjectStore = Object.assign(Object.create(real) as ObjectStore, {
      get: async (key: string) => {
        if (key !== 'Stocks/bom.us.csv') return real.get(key);
        reads += 1;
        throw new Error('AccessDenied');
      },
    });
    const summary = await runPipeline({ ...pipelineContext(database.pool, flaky, 'awkward-3'), fileRead: { attempts: 2, backoffMs: 10 } });
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'transform');
    assert.equal(summary.error?.message, 'Stocks/bom.us.csv could not be read (2 attempts): AccessDenied');
    assert.equal(reads, 2);
    assert.deepEqual(await tableDigest(database.pool), before);
  });

  it('leaves the table exactly as it was when the streamed load fails during the run', async () => {
    const store = await s3.store('broken-stream');
    const rows = Array.from({ length: 3000 }, (_, index) => `${new Date(Date.UTC(2000, 0, 1 + index)).toISOString().slice(0, 10)},1,1,1,2,1,0`);
    await store.put('Stocks/ok.us.csv', `Date,Open,High,Low,Close,Volume,OpenInt\n${rows.join('\n')}\n`);
    await store.put('Stocks/boom.us.csv', `Date,Open,High,Low,Close,Volume,OpenInt\n${rows.join('\n')}\n`);
    await store.put(KEYS.companyList, 'ok\nboom\n');
    const before = await tableDigest(database.pool);
    // A rule the database enforces and the pipeline does not know: COPY fails part-way through.
    await database.pool.query("ALTER TABLE historical_stocks_data ADD CONSTRAINT test_no_boom CHECK (company_name <> 'boom')");
    try {
      const summary = await runPipeline(pipelineContext(database.pool, store, 'broken-stream'));
      assert.equal(summary.status, 'failed');
      assert.equal(summary.error?.step, 'load');
      assert.match(summary.error!.message, /test_no_boom/);
      const output = await readOutput(store, runOutputKeys('broken-stream').output);
      assert.equal(output.split('\n').filter(Boolean).length, 6000);
      assert.equal(await store.head(KEYS.output), null, 'Output/ is published only by a run that committed');
    } finally {
      await database.pool.query('ALTER TABLE historical_stocks_data DROP CONSTRAINT test_no_boom');
    }
    assert.deepEqual(await tableDigest(database.pool), before);
  });

  it('leaves the table exactly as it was when the load fails half-way', async () => {
    const store = await s3.store('synthetic-source', 'team/');
    const context = pipelineContext(database.pool, store, 'broken-load');
    await runStep(context, 'discover');
    await runStep(context, 'transform');
    const before = await tableDigest(database.pool);
    // Corrupt the middle of the output, as a bad disk or a concurrent writer would.
    const outputKey = runOutputKeys('broken-load').output;
    const lines = (await readOutput(store, outputKey)).split('\n');
    const middle = Math.floor(lines.length / 2);
    lines.splice(middle, 0, '2017-01-03,1,1,1,1,not-a-number,0,0,zzz');
    await store.put(outputKey, lines.join('\n'));
    await assert.rejects(runStep(context, 'load'), /invalid input syntax for type bigint/);
    assert.deepEqual(await tableDigest(database.pool), before);

    // And a file with the right syntax but rows missing is refused by the row-count check.
    await store.put(outputKey, lines.slice(0, middle).join('\n') + '\n');
    await assert.rejects(runStep(context, 'load'), /COPY loaded \d+ rows but the transform step wrote \d+/);
    assert.deepEqual(await tableDigest(database.pool), before);

    const notified = await runStep(context, 'notify');
    assert.equal((notified.result as { subject: string }).subject, 'C9_Test_Runner_Pipeline_Failure');
    const outbox = await database.pool.query('SELECT body FROM stockflow.outbox WHERE run_id = $1', ['broken-load']);
    assert.match(outbox.rows[0].body, /Error in step load: COPY loaded/);
  });

  it('fails the run, and says so, when the company list is missing', async () => {
    const store = await s3.store('no-list');
    const summary = await runPipeline(pipelineContext(database.pool, store, 'no-list'));
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error?.step, 'discover');
    assert.match(summary.error!.message, /Company list CompanyNames\/top_companies.txt not found/);
    const outbox = await database.pool.query('SELECT subject FROM stockflow.outbox WHERE run_id = $1', ['no-list']);
    assert.equal(outbox.rows[0].subject, 'C9_Test_Runner_Pipeline_Failure');
  });

  it('writes the list in the seed format', () => {
    assert.equal(formatCompanyList(['a', 'b']), "'a.us.csv', 'b.us.csv'\n");
  });
});
