import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import { parseCsvLine } from '../../server/pipeline/csv';
import type { DiscoveryResult } from '../../server/pipeline/discover';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { streamToString } from '../../server/pipeline/streams';
import type { Manifest } from '../../server/pipeline/transform';
import { exportCsv } from '../../server/read-models/data-export';
import { RunRepository } from '../../server/runs/run-repository';
import { seedFromFolder } from '../../server/seed/from-folder';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';

const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt';

describe('hostile input', () => {
  let database: TestDatabase;
  let work: string;
  let bucketCount = 0;

  before(async () => {
    database = await createTestDatabase('hostile');
    await migrate(database.pool);
    work = await mkdtemp(join(tmpdir(), 'stockflow-hostile-'));
  });
  after(async () => {
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  });

  async function bucketWith(files: Record<string, string>, list = Object.keys(files).join('\n') + '\n'): Promise<FolderObjectStore> {
    const store = new FolderObjectStore(join(work, `bucket-${++bucketCount}`));
    for (const [name, content] of Object.entries(files)) await store.put(`Stocks/${name}.us.csv`, content);
    await store.put(KEYS.companyList, list);
    return store;
  }

  async function rejectsOf(store: FolderObjectStore, runId: string): Promise<string[][]> {
    const text = await streamToString(await store.get(`Output/runs/${runId}/rejects.csv`));
    return text
      .trimEnd()
      .split('\n')
      .slice(1)
      .map((line) => {
        const parsed = parseCsvLine(line);
        assert.ok(parsed.ok, line);
        return parsed.fields;
      });
  }

  async function stepResult<T>(runId: string, step: string): Promise<{ result: T; bytes: number }> {
    const found = await database.pool.query('SELECT result, octet_length(result::text) AS bytes FROM stockflow.step_results WHERE run_id = $1 AND step = $2', [runId, step]);
    return { result: found.rows[0].result as T, bytes: found.rows[0].bytes as number };
  }

  it('rejects a row holding a NUL byte, reports a list entry holding one, and escapes control characters where text is stored', async () => {
    const store = await bucketWith({ nul: [HEADER, '2017-01-03,1,1,1,2,1,0', '2017-01-04,1,\u00001,1,2,1,0', '2017-01-05,1,1,1,2,1,0\u0007'].join('\n') }, 'nul\nbad\u0000name.us.csv\n');
    const summary = await runPipeline(pipelineContext(database.pool, store, 'nul-bytes'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.deepEqual(summary.rows, { read: 3, loaded: 1, rejected: 2 });

    const rejects = await rejectsOf(store, 'nul-bytes');
    assert.deepEqual(
      rejects.map(([, line]) => line),
      ['3', '4'],
    );
    assert.equal(rejects[0]![2], '2017-01-04,1,\\x001,1,2,1,0');
    assert.match(rejects[0]![3]!, /control character U\+0000 at column 14/);
    assert.equal(rejects[1]![2], '2017-01-05,1,1,1,2,1,0\\x07');
    const discovery = await stepResult<DiscoveryResult>('nul-bytes', 'discover');
    assert.deepEqual(
      discovery.result.invalid.map((entry) => entry.raw),
      ['bad\\x00name.us.csv'],
    );
    const manifest = await stepResult<Manifest>('nul-bytes', 'transform');
    assert.equal(manifest.result.firstRejects[0]!.raw, '2017-01-04,1,\\x001,1,2,1,0');
  });

  it('rejects an over-long line while streaming and stores every rejected text truncated', { timeout: 60_000 }, async () => {
    const huge = `2017-01-04,${'9'.repeat(20 * 1024 * 1024)},1,1,2,1,0`;
    const wide = `2017-01-05,${'x'.repeat(30_000)},1,1,2,1,0`;
    const store = await bucketWith({ long: [HEADER, '2017-01-03,1,1,1,2,1,0', huge, wide, '2017-01-06,1,1,1,2,1,0'].join('\n') + '\n' });
    const summary = await runPipeline(pipelineContext(database.pool, store, 'long-line'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    assert.deepEqual(summary.rows, { read: 4, loaded: 2, rejected: 2 });

    const [tooLong, tooWide] = await rejectsOf(store, 'long-line');
    assert.equal(tooLong![1], '3');
    assert.match(tooLong![3]!, new RegExp(`line is ${huge.length} characters long; the limit is 65536`));
    assert.ok(tooLong![2]!.startsWith('2017-01-04,999') && tooLong![2]!.length <= 1100, `raw kept: ${tooLong![2]!.length} characters`);
    assert.ok(tooWide![2]!.length <= 1100 && tooWide![3]!.length <= 1100, 'raw and reason truncated');
    assert.match(tooWide![2]!, /… \(\d+ more characters\)$/);
    const manifest = await stepResult<Manifest>('long-line', 'transform');
    assert.ok(manifest.bytes < 20_000, `transform result is ${manifest.bytes} bytes`);
    assert.ok(JSON.stringify(summary).length < 20_000, 'the run summary stays small');
  });

  it('neutralises spreadsheet formulas in rejects.csv and in the export, leaving numbers alone', async () => {
    const store = await bucketWith({
      formula: [HEADER, '=HYPERLINK("http://evil","x")', '+1,2', '-2+3,1', '@SUM(A1)', '2017-01-03,1,1,1,0.5,1,0'].join('\n'),
    });
    const summary = await runPipeline(pipelineContext(database.pool, store, 'formulas'));
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    const raws = (await rejectsOf(store, 'formulas')).map(([, , raw]) => raw);
    assert.deepEqual(raws, ['\'=HYPERLINK("http://evil","x")', "'+1,2", "'-2+3,1", "'@SUM(A1)"]);

    await database.pool.query(
      "INSERT INTO historical_stocks_data VALUES ('2017-01-03', 1, 1, 1, 1, 1, -3.5, -2.25, '=cmd|calc'), ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, '@x'), ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, '+p'), ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, '-m'), ('2017-01-03', 1, 1, 1, 1, 1, 0, 0, E'\\tt'), ('2017-01-04', 1, 1, 1, 1, 1, 0, 0, 'a=b')",
    );
    let csv = '';
    for await (const chunk of exportCsv(database.pool, { sort: 'company_name', dir: 'asc' })) csv += chunk;
    const lines = csv.trimEnd().split('\n');
    assert.ok(lines.includes("2017-01-03,1,1,1,1,1,-3.5,-2.25,'=cmd|calc"), csv);
    assert.ok(lines.includes("2017-01-03,1,1,1,1,1,0,0,'@x"), csv);
    for (const name of ['+p', '-m', '\tt']) assert.ok(lines.includes(`2017-01-03,1,1,1,1,1,0,0,'${name}`), `${JSON.stringify(name)} in ${csv}`);
    assert.ok(lines.includes('2017-01-04,1,1,1,1,1,0,0,a=b'), 'a formula character later in the name is left alone');
    assert.ok(lines.includes('2017-01-03,1,1,1,0.5,1,-50,-0.5,formula'), csv);
  });

  it('lists runs without their whole summary', async () => {
    const runs = new RunRepository(database.pool);
    await runs.insertRun({ id: 'big-summary', trigger: { kind: 'manual', by: 'test' }, conf: {}, orchestrator: 'embedded' });
    const firstRejects = Array.from({ length: 20 }, (_, line) => ({ file: 'Stocks/a.us.csv', line, raw: 'r'.repeat(50_000), reason: `reason ${line}` }));
    await runs.finishRun('big-summary', 'success', { rows: { read: 9, loaded: 7, rejected: 2 }, files: { found: 1 }, firstRejects }, null);
    const listed = (await runs.listRuns({ limit: 10 })).runs.find((run) => run.id === 'big-summary')!;
    assert.ok(JSON.stringify(listed).length < 5_000, `listed run is ${JSON.stringify(listed).length} characters`);
    const summary = listed.summary as { rows: unknown; firstRejects: Array<Record<string, unknown>> };
    assert.deepEqual(summary.rows, { read: 9, loaded: 7, rejected: 2 });
    assert.deepEqual(
      summary.firstRejects.map((reject) => reject.reason),
      ['reason 0', 'reason 1', 'reason 2', 'reason 3', 'reason 4'],
    );
    assert.equal(((await runs.getRun('big-summary'))!.summary as { firstRejects: unknown[] }).firstRejects.length, 20);
  });

  it('refuses symbolic links in a folder bucket: skipped with a warning when listing, an error naming them when read', async () => {
    const outside = join(work, 'outside');
    await mkdir(outside, { recursive: true });
    await writeFile(join(outside, 'secret.us.csv'), `${HEADER}\n2017-01-03,1,1,1,2,1,0\n`);
    await writeFile(join(outside, 'top_companies.txt'), 'secret\n');
    const root = join(work, 'linked-bucket');
    await mkdir(join(root, 'Stocks'), { recursive: true });
    await writeFile(join(root, 'Stocks/plain.us.csv'), `${HEADER}\n2017-01-03,1,1,1,2,1,0\n`);
    await symlink(join(outside, 'secret.us.csv'), join(root, 'Stocks/secret.us.csv'));
    await symlink(outside, join(root, 'Stocks/sub'));
    await symlink(outside, join(root, 'CompanyNames'));
    const warnings: string[] = [];
    const store = new FolderObjectStore(root, { warn: (message) => warnings.push(message) });

    const keys: string[] = [];
    for await (const object of store.list('Stocks/')) keys.push(object.key);
    assert.deepEqual(keys, ['Stocks/plain.us.csv']);
    assert.ok(
      warnings.some((message) => message.includes('Stocks/secret.us.csv') && /symbolic link/.test(message)),
      warnings.join('\n'),
    );
    assert.ok(
      warnings.some((message) => message.includes('Stocks/sub')),
      warnings.join('\n'),
    );
    await assert.rejects(store.get('Stocks/secret.us.csv'), /Stocks\/secret\.us\.csv is a symbolic link/);
    await assert.rejects(store.get('Stocks/sub/secret.us.csv'), /Stocks\/sub is a symbolic link/);
    await assert.rejects(store.head('Stocks/secret.us.csv'), /symbolic link/);
    await assert.rejects(store.put('Stocks/sub/new.us.csv', 'x'), /Stocks\/sub is a symbolic link/);
    assert.deepEqual((await readdir(outside)).sort(), ['secret.us.csv', 'top_companies.txt']);

    const summary = await runPipeline(pipelineContext(database.pool, store, 'symlinked-list'));
    assert.equal(summary.status, 'failed');
    assert.match(summary.error!.message, /CompanyNames is a symbolic link/);
  });

  it('refuses symbolic links in the folder given to seed --from, naming them, before copying anything', async () => {
    const from = join(work, 'seed-from');
    await mkdir(join(from, 'stocks'), { recursive: true });
    await writeFile(join(from, 'stocks/a.us.csv'), `${HEADER}\n`);
    await writeFile(join(from, 'top_companies.txt'), 'a\n');
    await symlink('/etc/passwd', join(from, 'stocks/passwd.us.csv'));
    const target = new FolderObjectStore(join(work, 'seed-target'));
    await assert.rejects(seedFromFolder(target, from), /stocks\/passwd\.us\.csv is a symbolic link/);
    const copied: string[] = [];
    for await (const object of target.list('')) copied.push(object.key);
    assert.deepEqual(copied, []);

    await rm(join(from, 'stocks/passwd.us.csv'));
    await rm(join(from, 'top_companies.txt'));
    await symlink('/etc/hostname', join(from, 'top_companies.txt'));
    await assert.rejects(seedFromFolder(target, from), /top_companies\.txt is a symbolic link/);
  });
});
