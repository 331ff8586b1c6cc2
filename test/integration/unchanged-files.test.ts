import assert from 'node:assert/strict';
import { appendFile, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { tableDigest } from '../helpers/pipeline';
import { FILES, type Product, product, productSnapshot, publishedFile, runJson, sampleSource, shardedRun } from '../helpers/sample-product';

describe('re-runs skip files unchanged since they were loaded', () => {
  let source: string;
  let target: Product;
  const run = (...args: string[]) => runJson(target, ...args);
  const snapshot = () => productSnapshot(target);
  const stocksFile = (name: string) => join(target.dataDir, 'buckets/source/Stocks', name);

  before(async () => {
    source = await sampleSource();
    target = await product('unchanged', source);
  });
  after(async () => {
    await target?.database.drop();
    if (target) await rm(target.dataDir, { recursive: true, force: true });
    if (source) await rm(source, { recursive: true, force: true });
  });

  it('a re-run of an unchanged batch reads and loads nothing, and leaves the table, output and rejects exactly as they were', async () => {
    const first = await run();
    assert.equal(first.files.unchanged, 0);
    const before = await snapshot();
    assert.equal(before.rejects.length, 1);

    const again = await run();
    assert.equal(again.status, 'success');
    assert.deepEqual([again.files.found, again.files.unchanged], [FILES, FILES]);
    assert.deepEqual(again.rows, { read: 0, loaded: 0, rejected: 0 });
    assert.deepEqual([again.changes?.added, again.changes?.changed, again.changes?.removed], [0, 0, 0]);
    assert.deepEqual(await snapshot(), before, 'the published output and rejects carry the unchanged files');
    const manifest = JSON.parse(await readFile(publishedFile(target, 'manifest.json'), 'utf8'));
    assert.equal(manifest.files.length, FILES);
    assert.ok(manifest.files.every((report: { unchanged?: boolean }) => report.unchanged === true));
  });

  it('reads only the changed file, and --full reads every file to the same end', async () => {
    const names = manifestKeys(JSON.parse(await readFile(publishedFile(target, 'manifest.json'), 'utf8')));
    await appendFile(stocksFile(names[0]!.slice('Stocks/'.length)), '2030-01-02,10,11,9,10.5,1000,0\n');
    const changed = await run();
    assert.deepEqual([changed.files.unchanged, changed.rows.loaded > 0, changed.changes?.added, changed.changes?.changed], [FILES - 1, true, 1, 0]);
    const afterChange = await snapshot();
    assert.equal(afterChange.output.length, (await tableDigest(target.database.pool)).rows);

    const full = await run('--full');
    assert.equal(full.files.unchanged, 0);
    assert.deepEqual([full.changes?.added, full.changes?.changed, full.changes?.removed], [0, 0, 0]);
    assert.deepEqual(await snapshot(), afterChange);
  });

  it('a company whose rows a replace removed is read again, though its file did not change', async () => {
    const listPath = join(target.dataDir, 'buckets/source/CompanyNames/top_companies.txt');
    const list = await readFile(listPath, 'utf8');
    const [dropped, ...kept] = list.trim().split(', ');
    await writeFile(listPath, `${kept.join(', ')}\n`);
    const replaced = await run('--mode', 'replace');
    assert.equal(replaced.files.unchanged, 0, 'replace reads every file of the batch');
    await writeFile(listPath, `${[dropped, ...kept].join(', ')}\n`);
    const restored = await run();
    assert.deepEqual([restored.files.unchanged, restored.changes?.added], [FILES - 1, restored.rows.loaded]);
    assert.ok(restored.rows.loaded > 0);
  });

  it('sharded re-runs skip per shard and publish one complete output', async () => {
    const before = await snapshot();
    await shardedRun(target, 'manual__2026-11-25T15:00:00+00:00', { shards: 3 });
    const recorded = await target.database.pool.query("SELECT summary FROM stockflow.runs WHERE id = 'manual__2026-11-25T15:00:00+00:00'");
    assert.equal(recorded.rows[0].summary.files.unchanged, FILES);
    assert.equal(recorded.rows[0].summary.status, 'success');
    assert.deepEqual(await snapshot(), before);
  });
});

function manifestKeys(manifest: { files: Array<{ key: string }> }): string[] {
  return manifest.files.map((report) => report.key).sort();
}
