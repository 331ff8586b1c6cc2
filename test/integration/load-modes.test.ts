import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';

import { migrate } from '../../server/db/migrate';
import { KEYS, type PipelineContext } from '../../server/pipeline/context';
import { notificationBody } from '../../server/pipeline/notify';
import { runPipeline } from '../../server/pipeline/run-pipeline';
import { runStep } from '../../server/pipeline/steps';
import type { ObjectStore } from '../../server/ports/object-store';
import type { CompanyChange, LoadMode, LoadResult } from '../../server/ports/stock-table';
import { seedFromFolder } from '../../server/seed/from-folder';
import { formatCompanyList, seedSynthetic } from '../../server/seed/synthetic';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { startTestS3, type TestS3 } from '../helpers/s3';

const HEADER = 'Date,Open,High,Low,Close,Volume,OpenInt';

/** `days` consecutive January days of made-up prices; `closeOf` can change one day's close. */
function history(days: number, firstDay = 1, closeOf: (day: number) => number = (day) => 10 + day): string {
  const lines = [HEADER];
  for (let day = firstDay; day < firstDay + days; day += 1) {
    lines.push(`2020-01-${String(day).padStart(2, '0')},10,${closeOf(day) + 1},9,${closeOf(day)},${1000 + day},0`);
  }
  return `${lines.join('\n')}\n`;
}

async function putBatch(store: ObjectStore, files: Record<string, string>): Promise<void> {
  for (const [company, content] of Object.entries(files)) await store.put(`${KEYS.stocksPrefix}${company}.us.csv`, content);
  await store.put(KEYS.companyList, formatCompanyList(Object.keys(files)));
}

describe('load modes, demo data and what a load changed', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let bucket = 0;
  let store: ObjectStore;

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('load_modes'), startTestS3()]);
    await migrate(database.pool);
  });
  after(async () => {
    await database?.drop();
    await s3?.close();
  });
  beforeEach(async () => {
    await database.pool.query('TRUNCATE historical_stocks_data, stockflow.demo_companies');
    store = await s3.store(`load-modes-${++bucket}`);
  });

  let runs = 0;
  async function run(mode?: LoadMode): Promise<{ load: LoadResult; context: PipelineContext }> {
    const context: PipelineContext = { ...pipelineContext(database.pool, store, `load-mode-${++runs}`), loadMode: mode };
    const summary = await runPipeline(context);
    assert.equal(summary.status, 'success', JSON.stringify(summary.error));
    const load = (await context.results.get(context.runId, 'load'))!.result as LoadResult;
    return { load, context };
  }

  async function companiesInTable(): Promise<Record<string, number>> {
    const rows = await database.pool.query<{ company_name: string; rows: string }>('SELECT company_name, count(*) AS rows FROM historical_stocks_data GROUP BY 1 ORDER BY 1');
    return Object.fromEntries(rows.rows.map((row) => [row.company_name, Number(row.rows)]));
  }

  function changesByCompany(load: LoadResult): Record<string, Omit<CompanyChange, 'company'>> {
    return Object.fromEntries(load.changes.companies.map(({ company, ...counts }) => [company, counts]));
  }

  it("a real seed replaces a demo source, and the next run removes the demo companies' rows", async () => {
    await seedSynthetic(store, 30);
    const demo = await run();
    assert.equal(demo.load.mode, 'companies');
    const demoCompanies = await companiesInTable();
    assert.ok(Object.keys(demoCompanies).length > 20, 'the demo run loaded its companies');
    const remembered = await database.pool.query('SELECT company_name FROM stockflow.demo_companies');
    assert.equal(remembered.rowCount, 30, 'every demo batch company is remembered as demo');

    const folder = await mkdtemp(join(tmpdir(), 'stockflow-real-'));
    try {
      await mkdir(join(folder, 'stocks'));
      await writeFile(join(folder, 'stocks', 'realco.us.csv'), history(5));
      await writeFile(join(folder, 'stocks', 'othero.us.csv'), history(3));
      await writeFile(join(folder, 'top_companies.txt'), formatCompanyList(['realco', 'othero']));
      const seeded = await seedFromFolder(store, folder);
      assert.equal(seeded.demoFilesRemoved, 33, 'the 30 listed and 3 unlisted demo files');
    } finally {
      await rm(folder, { recursive: true, force: true });
    }
    const keys: string[] = [];
    for await (const object of store.list('')) if (!object.key.startsWith('Output/')) keys.push(object.key);
    assert.deepEqual(keys.sort(), [KEYS.companyList, 'Stocks/othero.us.csv', 'Stocks/realco.us.csv'], 'no demo file or marker is left in the source');

    const real = await run();
    assert.deepEqual(await companiesInTable(), { othero: 3, realco: 5 }, 'the table holds the real companies only');
    assert.equal((await database.pool.query('SELECT 1 FROM stockflow.demo_companies')).rowCount, 0);
    const demoRows = Object.values(demoCompanies).reduce((total, rows) => total + rows, 0);
    assert.equal(real.load.companiesRemoved, 30, 'every demo company outside the real batch');
    assert.deepEqual(real.load.changes.totals, { added: 8, changed: 0, removed: demoRows, unchanged: 0, companiesAdded: 2, companiesRemoved: Object.keys(demoCompanies).length });
    const summary = await runPipeline(pipelineContext(database.pool, store, 'after-real'));
    assert.equal(summary.demo, false, 'the source is no longer demo data');
  });

  it('a company list written after the demo seed (an upload) makes the source real: the next run removes the demo rows', async () => {
    await seedSynthetic(store, 12);
    const demo = await run();
    assert.ok(demo.load.changes.totals.added > 0);
    // S3 keeps LastModified to the second: the upload comes in a later one.
    await new Promise((wait) => setTimeout(wait, 1100));
    await putBatch(store, { uploaded: history(4) });
    const real = await run();
    assert.deepEqual(await companiesInTable(), { uploaded: 4 }, 'only the uploaded company is left');
    assert.equal(real.load.companiesRemoved, 12);
    const summary = await runPipeline(pipelineContext(database.pool, store, 'after-upload'));
    assert.equal(summary.demo, false);
  });

  for (const path of ['bulk', 'incremental'] as const) {
    it(`replace mode (${path} path) leaves exactly the batch and counts every change per company`, async () => {
      await putBatch(store, { alpha: history(10), beta: history(5), gamma: history(5) });
      await run();
      // A view on the table keeps a load off the bulk path (it would drop the view's table).
      if (path === 'incremental') await database.pool.query("CREATE VIEW alpha_rows AS SELECT * FROM historical_stocks_data WHERE company_name = 'alpha'");
      try {
        await store.delete(`${KEYS.stocksPrefix}beta.us.csv`);
        await store.delete(`${KEYS.stocksPrefix}gamma.us.csv`);
        // alpha: day 1 gone, day 11 new, day 5's close changed; delta is new.
        await putBatch(store, { alpha: history(10, 2, (day) => (day === 5 ? 99 : 10 + day)), delta: history(3) });
        const { load } = await run('replace');
        assert.equal(load.strategy, path);
        assert.equal(load.mode, 'replace');
        assert.deepEqual(await companiesInTable(), { alpha: 10, delta: 3 });
        assert.deepEqual(changesByCompany(load), {
          alpha: { added: 1, changed: 1, removed: 1, unchanged: 8 },
          beta: { added: 0, changed: 0, removed: 5, unchanged: 0 },
          gamma: { added: 0, changed: 0, removed: 5, unchanged: 0 },
          delta: { added: 3, changed: 0, removed: 0, unchanged: 0 },
        });
        assert.deepEqual(load.changes.totals, { added: 4, changed: 1, removed: 11, unchanged: 8, companiesAdded: 1, companiesRemoved: 2 });
        assert.equal(load.companiesRemoved, 2);
        const changed = await database.pool.query("SELECT close_value::text FROM historical_stocks_data WHERE company_name = 'alpha' AND stock_date = '2020-01-05'");
        assert.equal(changed.rows[0].close_value, '99');
      } finally {
        await database.pool.query('DROP VIEW IF EXISTS alpha_rows');
      }
    });
  }

  it('companies mode keeps the others, and the same batch again changes nothing', async () => {
    await putBatch(store, { alpha: history(10), beta: history(5) });
    const first = await run();
    assert.deepEqual(first.load.changes.totals, { added: 15, changed: 0, removed: 0, unchanged: 0, companiesAdded: 2, companiesRemoved: 0 });
    const again = await run();
    assert.deepEqual(again.load.changes.totals, { added: 0, changed: 0, removed: 0, unchanged: 15, companiesAdded: 0, companiesRemoved: 0 });
    assert.deepEqual(again.load.changes.companies, []);
    await putBatch(store, { alpha: history(12) });
    const third = await run();
    assert.deepEqual(await companiesInTable(), { alpha: 12, beta: 5 }, 'beta, outside the batch, keeps its rows');
    assert.deepEqual(changesByCompany(third.load), { alpha: { added: 2, changed: 0, removed: 0, unchanged: 10 } });
  });

  it('the mode is fixed by discover, so a load in another process keeps it; the mail says what changed', async () => {
    await putBatch(store, { alpha: history(4), beta: history(2) });
    await run();
    await store.delete(`${KEYS.stocksPrefix}beta.us.csv`);
    await putBatch(store, { alpha: history(4, 1, (day) => (day === 2 ? 50 : 10 + day)) });
    const runId = 'split-steps';
    await runStep({ ...pipelineContext(database.pool, store, runId), loadMode: 'replace' }, 'discover');
    // Later steps in other processes are not told the mode: discover's result carries it.
    await runStep(pipelineContext(database.pool, store, runId), 'transform');
    const load = (await runStep(pipelineContext(database.pool, store, runId), 'load')).result as LoadResult;
    assert.equal(load.mode, 'replace');
    assert.deepEqual(await companiesInTable(), { alpha: 4 });
    const records = await pipelineContext(database.pool, store, runId).results.list(runId);
    const { summarizeRun } = await import('../../server/pipeline/summary');
    const body = notificationBody(summarizeRun(runId, records));
    assert.match(body, /Load mode: replace \(the table holds exactly this batch\)/);
    assert.match(body, /0 rows added, 1 changed, 2 removed, 3 unchanged/);
    assert.match(body, /beta\s+0\s+0\s+2/);
    assert.match(body, /alpha\s+0\s+1\s+0/);
  });
});
