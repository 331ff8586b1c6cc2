import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { E2E_EVENTS_SECRET, type RunningProduct, signIn, withProduct } from './product';

// A long key: it must wrap at phone width rather than widen the page.
const LONG_DIR = 'exports/daily-batches/region-north-america-and-caribbean/2026-11-25T18-00-00Z-final-upload';

describe('markers seen in Chromium', { timeout: 600_000 }, () => {
  let product: RunningProduct;
  withProduct((started) => (product = started));

  it('lists a marker the watcher started a run for and an event for another bucket it ignored, refreshing by itself', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Markers' }).click();
    await page.getByRole('heading', { name: 'Markers seen' }).waitFor();

    await mkdir(join(product.dataDir, 'buckets/monitored', LONG_DIR), { recursive: true });
    await writeFile(join(product.dataDir, 'buckets/monitored', LONG_DIR, '.SUCCESS'), '');
    const event = (await readFile('test/fixtures/s3-event-put.json', 'utf8')).replaceAll('stockflow-monitored', 'someone-elses-bucket');
    const answer = await fetch(`${product.url}/api/events/s3`, { method: 'POST', body: event, headers: { authorization: `Bearer ${E2E_EVENTS_SECRET}` } });
    assert.equal(answer.status, 200);

    // No reload: the page refreshes itself (every 10 s).
    const started = page.locator('[data-testid="marker-entry"][data-decision="started"]').filter({ hasText: `${LONG_DIR}/.SUCCESS` });
    await started.waitFor({ timeout: 40_000 });
    assert.match(await started.innerText(), /watcher/);
    assert.match(await started.innerText(), /\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC/);
    const ignored = page.locator('[data-testid="marker-entry"][data-decision="ignored"]').filter({ hasText: 'daily/2026-11-25/.SUCCESS' });
    await ignored.waitFor({ timeout: 20_000 });
    assert.match(await ignored.innerText(), /wrong bucket/);
    assert.match(await ignored.innerText(), /someone-elses-bucket/);
    await product.screenshot(page, 'markers');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await started.waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the markers page fits a phone screen (overflow ${overflow}px)`);
    await page.setViewportSize({ width: 1280, height: 900 });

    // The started entry links to its run.
    const runId = await started.getByRole('link').innerText();
    await started.getByRole('link').click();
    await page.waitForURL(new RegExp(`/runs/${runId}$`));
    await page.close();
  });

  it('filters by decision, and names a parameter it cannot use beside its field', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/markers`);
    await page.getByLabel('Decision').selectOption('ignored');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/decision=ignored/);
    const decisions = await page.locator('[data-testid="marker-entry"]').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-decision')));
    assert.ok(decisions.length > 0 && decisions.every((decision) => decision === 'ignored'), decisions.join());

    const bad = await page.goto(`${product.url}/markers?decision=exploded`);
    assert.equal(bad?.status(), 200);
    await page
      .getByRole('alert')
      .filter({ hasText: /decision: one of started, .* not applied/ })
      .waitFor();
    await page.locator('[data-testid="marker-entry"][data-decision="started"]').first().waitFor();
    await page.close();
  });
});
