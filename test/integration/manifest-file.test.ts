import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { putManifest, readManifest } from '../../server/pipeline/manifest-file';
import { streamToString } from '../../server/pipeline/streams';
import type { FileReport, Manifest } from '../../server/pipeline/transform';
import { useFolderStore } from '../helpers/folder-store';

function report(company: string, extra: Partial<FileReport> = {}): FileReport {
  return {
    company,
    key: `Stocks/${company.toLowerCase()}.us.txt`,
    status: 'loaded',
    rowsRead: 3,
    rowsKept: 2,
    rowsRejected: 1,
    warnings: 0,
    bytes: 120,
    sha256: 'ab'.repeat(32),
    // Text that looks like the layout's own lines must stay inside its report.
    error: null,
    etag: 'e'.repeat(32),
    size: 120,
    ...extra,
  };
}

function manifestOf(files: FileReport[]): Manifest {
  return {
    runId: 'manual__2026-11-26T00:00:00+00:00',
    outputKey: 'Output/historical_stock_data.csv',
    rejectsKey: 'Output/rejects.csv',
    companies: files.map((file) => file.company),
    files,
    totals: { files: files.length, filesEmpty: 0, filesFailed: 0, rowsRead: 3 * files.length, rowsKept: 2 * files.length, rowsRejected: files.length, warnings: 0 },
    firstRejects: [{ file: 'Stocks/a.us.txt', line: 3, raw: '2020-01-01,x', reason: 'Open: "x" is not a number\n  ]\n"files": [' }],
    demo: false,
    loadMode: 'companies',
    startedAt: '2026-11-26T00:00:00.000Z',
    finishedAt: '2026-11-26T00:00:01.000Z',
    durationMs: 1000,
  };
}

describe('manifest.json, written and read a report at a time', () => {
  const bucket = useFolderStore('manifest');

  it('is plain JSON, files last with one report per line, and reads back the same', async () => {
    const manifest = manifestOf([report('AAPL'), report('MSFT', { status: 'failed', error: 'foreign header "a,b"\n{"x":1}' }), report('ZZ')]);
    await putManifest(bucket.store, 'Output/manifest.json', manifest, manifest.files);
    const text = await streamToString(await bucket.store.get('Output/manifest.json'));
    assert.deepEqual(JSON.parse(text), manifest);
    const lines = text.split('\n');
    assert.equal(lines.filter((line) => line.startsWith('    {"company":')).length, 3);
    assert.equal(Object.keys(JSON.parse(text) as object).at(-1), 'files');
    assert.deepEqual(await readManifest(bucket.store, 'Output/manifest.json'), manifest);
  });

  it('keeps only the reports asked for, and reads no report for the header alone', async () => {
    const manifest = manifestOf(['A', 'B', 'C', 'D'].map((company) => report(company)));
    await putManifest(bucket.store, 'Output/manifest.json', manifest, manifest.files);
    const kept = await readManifest(bucket.store, 'Output/manifest.json', { keep: (file) => file.company === 'B' || file.company === 'D' });
    assert.deepEqual(
      kept?.files.map((file) => file.company),
      ['B', 'D'],
    );
    assert.deepEqual(kept?.totals, manifest.totals);
    const seen: string[] = [];
    const header = await readManifest(bucket.store, 'Output/manifest.json', { headerOnly: true, keep: (file) => Boolean(seen.push(file.company)) });
    assert.equal(header?.runId, manifest.runId);
    assert.deepEqual(header?.companies, manifest.companies);
    assert.deepEqual(seen, []);
  });

  it('writes a manifest without files', async () => {
    const manifest = manifestOf([]);
    await putManifest(bucket.store, 'Output/manifest.json', manifest, []);
    assert.deepEqual(await readManifest(bucket.store, 'Output/manifest.json'), manifest);
  });

  it('reads the indented manifests of earlier versions whole, and tells none from broken', async () => {
    const manifest = manifestOf([report('AAPL'), report('MSFT')]);
    await bucket.store.put('Output/old.json', JSON.stringify(manifest, null, 2));
    assert.deepEqual(await readManifest(bucket.store, 'Output/old.json'), manifest);
    assert.deepEqual((await readManifest(bucket.store, 'Output/old.json', { keep: (file) => file.company === 'MSFT' }))?.files, [manifest.files[1]]);
    assert.equal((await readManifest(bucket.store, 'Output/old.json', { headerOnly: true }))?.runId, manifest.runId);
    await bucket.store.put('Output/empty-old.json', JSON.stringify(manifestOf([]), null, 2));
    assert.deepEqual(await readManifest(bucket.store, 'Output/empty-old.json'), manifestOf([]));
    assert.equal(await readManifest(bucket.store, 'Output/missing.json'), null);
    await bucket.store.put('Output/broken.json', '{"runId": "x", "files": [');
    assert.equal(await readManifest(bucket.store, 'Output/broken.json'), null);
  });
});
