import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { appendFile, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { type RunningProduct, signIn, withProduct } from './product';

const SAMPLE = resolve(process.env.STOCKFLOW_SAMPLE_DIR ?? '../shared/data');
const present = existsSync(join(SAMPLE, 'stocks')) && existsSync(join(SAMPLE, 'top_companies.txt'));
// The real sample's figures, counted independently by test/integration/real-sample.test.ts.
const REAL_ROWS = '2,054,899';
const REAL_COMPANIES = '995';

/**
 * The README's path: `npm start` (demo data, first run), then `seed --from` the real sample and
 * run again: the overview shows exactly the real figures, with no demo company left.
 */
describe('from demo data to the real sample, as the README says', { skip: !present && `no sample at ${SAMPLE}`, timeout: 900_000 }, () => {
  let product: RunningProduct;
  withProduct((started) => (product = started));

  async function waitForRuns(succeeded: number): Promise<void> {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const { rows } = await product.database.pool.query<{ status: string }>('SELECT status FROM stockflow.runs ORDER BY seq');
      if (rows.some((row) => row.status === 'failed')) assert.fail(`a run failed: ${JSON.stringify(rows)}`);
      if (rows.filter((row) => row.status === 'success').length >= succeeded && rows.every((row) => row.status === 'success')) return;
      if (Date.now() > deadline) assert.fail(`runs did not finish: ${JSON.stringify(rows)}`);
      await new Promise((wait) => setTimeout(wait, 500));
    }
  }

  async function card(page: Page, label: string): Promise<string> {
    return page
      .locator('.card', { has: page.locator('.label', { hasText: new RegExp(`^${label}$`) }) })
      .locator('.value')
      .innerText();
  }

  it('shows the demo data as demo, then exactly the real figures', async () => {
    await waitForRuns(1);
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page
      .getByTestId('demo-notice')
      .filter({ hasText: /companies in the table are synthetic/ })
      .waitFor();
    await product.screenshot(page, 'readme-demo-overview');

    const seeded = await product.cli(['seed', '--from', SAMPLE]);
    assert.equal(seeded.code, 0, seeded.stderr);
    assert.match(seeded.stdout, /Removed \d+ synthetic demo files; the next run removes their rows/);

    await page.goto(`${product.url}/runs`);
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForRuns(2);
    await page.reload();
    await page.getByTestId('load-mode').filter({ hasText: 'Load mode: companies' }).waitFor();
    // The demo companies outside the real batch are gone (a demo ticker may share a real one's name: then it is replaced, not removed).
    await page
      .getByTestId('change-totals')
      .filter({ hasText: /[\d,]+ rows added, [\d,]+ changed, [\d,]+ removed, [\d,]+ unchanged; [\d,]+ companies new, [\d,]+ removed \([\d,]+ outside this batch\)/ })
      .waitFor();
    await product.screenshot(page, 'readme-real-run');

    await page.goto(`${product.url}/`);
    assert.equal(await card(page, 'Rows'), REAL_ROWS);
    assert.equal(await card(page, 'Companies'), REAL_COMPANIES);
    assert.equal(await page.getByTestId('demo-notice').count(), 0, 'no demo notice once the demo rows are gone');
    await product.screenshot(page, 'readme-real-overview');

    // A whole-table replace of the same batch changes nothing, and the run page says which mode ran.
    await page.goto(`${product.url}/runs`);
    await page.getByLabel('Load mode').selectOption('replace');
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForRuns(3);
    await page.reload();
    await page.getByTestId('load-mode').filter({ hasText: 'Load mode: replace' }).waitFor();
    await page.getByTestId('change-totals').filter({ hasText: '0 rows added, 0 changed, 0 removed, 2,054,899 unchanged' }).waitFor();

    // The next run reads nothing: every file is unchanged since its rows were loaded.
    await page.goto(`${product.url}/runs`);
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForRuns(4);
    await page.reload();
    await page.getByTestId('files-unchanged').filter({ hasText: '1,000 files unchanged since their rows were loaded' }).waitFor();
    await page.getByTestId('change-totals').filter({ hasText: '0 rows added, 0 changed, 0 removed' }).waitFor();
    await product.screenshot(page, 'readme-unchanged-run');

    // A morning's batch: every file one day longer. Only the new day is loaded; the run page says so.
    const stocks = join(product.dataDir, 'buckets/source/Stocks');
    let longer = 0;
    for (const name of await readdir(stocks)) {
      const path = join(stocks, name);
      const lines = (await readFile(path, 'utf8')).split(/\r?\n/).filter(Boolean);
      const last = lines.at(-1);
      if (!last || !/^\d{4}-\d{2}-\d{2},/.test(last)) continue;
      const next = new Date(Date.parse(`${last.slice(0, 10)}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
      await appendFile(path, `${next}${last.slice(10)}\r\n`);
      longer += 1;
    }
    await page.goto(`${product.url}/runs`);
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    await waitForRuns(5);
    await page.reload();
    await page
      .getByTestId('files-appended')
      .filter({ hasText: `${longer} files only gained rows since their rows were loaded` })
      .waitFor();
    await page
      .getByTestId('change-totals')
      .filter({ hasText: `${longer} rows added, 0 changed, 0 removed, ${REAL_ROWS} unchanged` })
      .waitFor();
    await product.screenshot(page, 'readme-appended-run');
    await page.close();
  });
});
