import assert from 'node:assert/strict';
import { appendFile, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { stockflow } from '../helpers/cli';
import { tableDigest } from '../helpers/pipeline';
import { type JsonSummary, type Product, product, productSnapshot, publishedFile, runJson, sampleSource, shardedRun } from '../helpers/sample-product';

interface Report {
  key: string;
  rowsKept: number;
  rowsLoadedBefore?: number;
}

describe('a file that only gained rows since it was loaded sends only its new rows to the load', () => {
  let source: string;
  let target: Product;
  const run = (...args: string[]) => runJson(target, ...args);
  const snapshot = () => productSnapshot(target);
  const stocks = (): string => join(target.dataDir, 'buckets/source/Stocks');
  const reports = async (): Promise<Map<string, Report>> => {
    const manifest = JSON.parse(await readFile(publishedFile(target, 'manifest.json'), 'utf8')) as { files: Report[] };
    return new Map(manifest.files.map((report) => [report.key.slice('Stocks/'.length), report]));
  };
  /** `--full` reads and loads every file whole: the table, output and rejects must come out the same, the load changing nothing. */
  const assertSameAsFullRun = async (): Promise<void> => {
    const appendedEnd = await snapshot();
    const full = await run('--full');
    assert.equal(full.status, 'success');
    assert.deepEqual([full.changes?.added, full.changes?.changed, full.changes?.removed], [0, 0, 0], 'a full run finds nothing to change');
    assert.deepEqual(await snapshot(), appendedEnd);
  };

  before(async () => {
    source = await sampleSource();
    target = await product('appends', source);
    const first = await run();
    assert.equal(first.status, 'success');
  });
  after(async () => {
    await target?.database.drop();
    if (target) await rm(target.dataDir, { recursive: true, force: true });
    if (source) await rm(source, { recursive: true, force: true });
  });

  it('a day more in every file loads only that day, and ends exactly where a full run ends', async () => {
    const names = (await readdir(stocks())).sort();
    const appended: string[] = [];
    for (const name of names) {
      if ((await stat(join(stocks(), name))).size === 0) continue;
      await appendFile(join(stocks(), name), '2030-01-02,10,11,9,10.5,1000,0\r\n');
      appended.push(name);
    }
    const before = (await tableDigest(target.database.pool)).rows;
    const daily = await run();
    assert.equal(daily.status, 'success');
    assert.equal(daily.rows.loaded, appended.length, 'only the new rows go to the load');
    assert.equal(daily.files.appended, appended.length);
    assert.deepEqual([daily.changes?.added, daily.changes?.changed, daily.changes?.removed, daily.changes?.unchanged], [appended.length, 0, 0, before]);
    assert.equal((await tableDigest(target.database.pool)).rows, before + appended.length);
    const read = await reports();
    for (const name of appended) {
      const report = read.get(name)!;
      assert.equal(report.rowsLoadedBefore, report.rowsKept - 1, `${name}: all but the new row were loaded before`);
    }
    await assertSameAsFullRun();
  });

  it('a file whose loaded rows changed, or whose loaded version ended mid-line, is loaded whole', async () => {
    const names = (await readdir(stocks())).sort();
    const nonEmpty: string[] = [];
    for (const name of names) if ((await stat(join(stocks(), name))).size > 0) nonEmpty.push(name);
    const [edited, unterminated, plain] = nonEmpty as [string, string, string];
    // The loaded version of `unterminated` ends without a newline (its last row is complete).
    const text = await readFile(join(stocks(), unterminated), 'utf8');
    await writeFile(join(stocks(), unterminated), text.replace(/\r\n$/, ''));
    await run();

    const lines = (await readFile(join(stocks(), edited), 'utf8')).split('\r\n');
    const [date, open, high, low, close, ...rest] = lines[5]!.split(',');
    lines[5] = [date, open, high, low, (Number(close) + 1).toFixed(2), ...rest].join(',');
    await writeFile(join(stocks(), edited), `${lines.join('\r\n')}2030-01-03,10,11,9,10.5,1000,0\r\n`);
    await appendFile(join(stocks(), unterminated), '\r\n2030-01-03,10,11,9,10.5,1000,0\r\n');
    await appendFile(join(stocks(), plain), '2030-01-03,10,11,9,10.5,1000,0\r\n');
    const next = await run();
    assert.equal(next.status, 'success');
    assert.deepEqual([next.changes?.added, next.changes?.changed, next.changes?.removed], [3, 1, 0]);
    const read = await reports();
    assert.equal(read.get(edited)!.rowsLoadedBefore, undefined, 'an edited row: the company is loaded whole');
    assert.equal(read.get(unterminated)!.rowsLoadedBefore, undefined, 'its last loaded line went on: loaded whole');
    assert.equal(read.get(plain)!.rowsLoadedBefore, read.get(plain)!.rowsKept - 1);
    assert.equal(next.rows.loaded, read.get(edited)!.rowsKept + read.get(unterminated)!.rowsKept + 1);
    await assertSameAsFullRun();
  });

  it('a batch whose every file had its history re-issued as well is loaded whole, on the bulk path its size calls for', async () => {
    const names = (await readdir(stocks())).sort();
    for (const name of names) {
      const text = await readFile(join(stocks(), name), 'utf8');
      if (!text) continue;
      // Every price of the file's second row a cent higher (as after a vendor's adjustment), and a day more.
      const lines = text.split('\r\n');
      lines[1] = lines[1]!.replace(
        /^([^,]+),([^,]+),([^,]+),([^,]+),([^,]+),/,
        (_m, date: string, ...prices: string[]) => `${date},${prices.map((price) => (Number(price) + 0.01).toFixed(2)).join(',')},`,
      );
      await writeFile(join(stocks(), name), `${lines.join('\r\n')}2030-01-05,10,11,9,10.5,1000,0\r\n`);
    }
    const result = await stockflow(['run', '--json'], target.env);
    assert.equal(result.code, 0, result.stderr);
    const reissued = JSON.parse(result.stdout) as JsonSummary;
    assert.equal(reissued.status, 'success');
    assert.match(result.stderr, /had changed: loading the output file on the bulk path/);
    assert.match(result.stderr, /bulk load/);
    assert.ok([...(await reports()).values()].every((report) => report.rowsLoadedBefore === undefined));
    await assertSameAsFullRun();
  });

  it('refuses to add rows to a company another run loaded from another version meanwhile', async () => {
    const names = (await readdir(stocks())).sort();
    const nonEmpty: string[] = [];
    for (const name of names) if ((await stat(join(stocks(), name))).size > 0) nonEmpty.push(name);
    const [name] = nonEmpty as [string];
    const step = (args: string[]) => stockflow(['step', ...args, '--run-id', 'manual__2026-11-27T17:10:00+00:00'], target.env);
    await appendFile(join(stocks(), name), '2030-01-07,10,11,9,10.5,1000,0\r\n');
    for (const name of ['discover', 'transform']) {
      const done = await step([name]);
      assert.equal(done.code, 0, done.stderr);
    }
    // Meanwhile the file is rewritten (its first row too) and another run loads it whole.
    const lines = (await readFile(join(stocks(), name), 'utf8')).split('\r\n');
    lines[1] = lines[1]!
      .replace(/,(\d+)\r?$/, (_m, openInt: string) => `,${Number(openInt) + 1}`)
      .replace(/^([^,]+),([^,]+),/, (_m, date: string, open: string) => `${date},${(Number(open) + 0.01).toFixed(2)},`);
    await writeFile(join(stocks(), name), `${lines.join('\r\n')}2030-01-08,10,11,9,10.5,1000,0\r\n`);
    const other = await run();
    assert.equal(other.status, 'success');
    const afterOther = await tableDigest(target.database.pool);

    const late = await step(['load']);
    assert.notEqual(late.code, 0);
    assert.match(late.stderr, new RegExp(`another run loaded other versions of ${name.split('.')[0]} after this run read their files; nothing was changed`));
    assert.deepEqual(await tableDigest(target.database.pool), afterOther);
    await assertSameAsFullRun();
  });

  it('shards run as separate steps (reading their output back) load only the new rows too', async () => {
    const names = (await readdir(stocks())).sort();
    for (const name of names) if ((await stat(join(stocks(), name))).size > 0) await appendFile(join(stocks(), name), '2030-01-06,10,11,9,10.5,1000,0\r\n');
    const rowsBefore = (await tableDigest(target.database.pool)).rows;
    await shardedRun(target, 'manual__2026-11-27T17:00:00+00:00', { shards: 3 });
    const recorded = await target.database.pool.query("SELECT summary FROM stockflow.runs WHERE id = 'manual__2026-11-27T17:00:00+00:00'");
    // The recorded summary keeps the load's DataChanges (totals and companies).
    const summary = recorded.rows[0].summary as Omit<JsonSummary, 'changes'> & { changes: { totals: NonNullable<JsonSummary['changes']> } };
    assert.equal(summary.status, 'success');
    const added = (await tableDigest(target.database.pool)).rows - rowsBefore;
    assert.ok(added > 0);
    const { totals } = summary.changes;
    assert.deepEqual([summary.rows.loaded, totals.added, totals.changed, totals.removed, totals.unchanged], [added, added, 0, 0, rowsBefore]);

    // Run again unchanged: the files are carried over, and what the appending run's load kept is not counted again.
    await shardedRun(target, 'manual__2026-11-27T17:05:00+00:00', { shards: 3 });
    const again = (await target.database.pool.query("SELECT summary FROM stockflow.runs WHERE id = 'manual__2026-11-27T17:05:00+00:00'")).rows[0].summary as typeof summary;
    assert.equal(again.files.unchanged, again.files.found);
    assert.deepEqual([again.rows.loaded, again.changes.totals.added, again.changes.totals.unchanged], [0, 0, 0]);
    assert.ok([...(await reports()).values()].every((report) => report.rowsLoadedBefore === undefined));
    await assertSameAsFullRun();
  });
});
