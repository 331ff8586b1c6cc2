import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';

import type { Page } from 'playwright-core';

import { pageSignedInAs, type RunningProduct, signIn, withProduct } from './product';

// A marker key as long as real nested S3 keys get: it must never widen the page.
const LONG_KEY = `stockflow-monitored/${'very-long-folder-name/'.repeat(13)}batch/.SUCCESS`.slice(0, 300);
const FAILED_RUN = 'event__e2e_failed_run_with_two_tries';

async function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
}

describe('the runs screens in Chromium', { timeout: 900_000 }, () => {
  let product: RunningProduct;
  let successRunId = '';

  withProduct((started) => (product = started));

  /** A failed run as an engine records it: discover failed twice (two tries, each with its log), notify mailed it. */
  async function recordFailedRun(): Promise<void> {
    const pool = product.database.pool;
    await pool.query(
      `INSERT INTO stockflow.runs (id, trigger_kind, triggered_by, status, conf, queued_at, started_at, finished_at, error)
       VALUES ($1, 'event', $2, 'failed', '{"marker":{"bucket":"stockflow-monitored"}}', now() - interval '40 s', now() - interval '38 s', now() - interval '20 s', 'step discover failed: Company list not found')`,
      [FAILED_RUN, LONG_KEY],
    );
    await pool.query(
      `INSERT INTO stockflow.task_runs (run_id, step, try_number, status, started_at, finished_at, error) VALUES
        ($1, 'discover', 1, 'up_for_retry', now() - interval '38 s', now() - interval '36 s', 'Company list not found'),
        ($1, 'discover', 2, 'failed', now() - interval '30 s', now() - interval '28 s', 'Company list not found'),
        ($1, 'notify', 1, 'success', now() - interval '25 s', now() - interval '20 s', NULL)`,
      [FAILED_RUN],
    );
    // In the order an engine logs them: the needle comes before 3,000 lines, far outside the
    // 1,000-line tail the viewer opens at.
    for (const [tryNumber, level, message, count] of [
      [1, 'info', 'first try line ', 20],
      [1, 'warn', 'first try: will retry', 1],
      [2, 'info', 'a Needle among the early lines', 1],
      [2, 'info', 'second try line ', 3000],
      [2, 'error', 'Company list CompanyNames/top_companies.txt not found', 1],
    ] as const) {
      await pool.query(
        `INSERT INTO stockflow.task_logs (run_id, step, try_number, level, message)
         SELECT $1, 'discover', $2, $3, CASE WHEN $5::int > 1 THEN $4 || n ELSE $4 END FROM generate_series(1, $5::int) n ORDER BY n`,
        [FAILED_RUN, tryNumber, level, message, count],
      );
    }
  }

  it('shows runs as a grid of steps with a duration trend, times with their zone, at 1280 and 390 px', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs`);
    await page.getByLabel('Run conf as JSON').fill('{"note":"grid","batch":1}');
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    successRunId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    await page.locator('.timeline-row[data-step="notify"][data-status="success"]').waitFor({ timeout: 180_000 });
    await recordFailedRun();

    await page.goto(`${product.url}/runs`);
    const grid = page.getByRole('table', { name: 'Runs by step, oldest run first' });
    await grid.getByRole('link', { name: `run ${FAILED_RUN}, discover: failed (try 2)` }).waitFor();
    await grid.getByRole('link', { name: `run ${FAILED_RUN}, transform: not run` }).waitFor();
    await grid.getByRole('link', { name: `run ${FAILED_RUN}, notify: success` }).waitFor();
    for (const step of ['discover', 'transform', 'load', 'notify']) await grid.getByRole('link', { name: `run ${successRunId}, ${step}: success` }).waitFor();
    // Oldest on the left (the first start's own run, then ours): the successful run's column comes before the failed one's.
    const names = await grid
      .locator('tbody tr')
      .first()
      .getByRole('link')
      .evaluateAll((links) => links.map((link) => link.getAttribute('aria-label')));
    assert.deepEqual(names.slice(-2), [`run ${successRunId}, discover: success`, `run ${FAILED_RUN}, discover: failed (try 2)`]);
    // One tab stop for the grid (the newest run's first step); the arrow keys walk it.
    await page.waitForFunction(() => document.querySelectorAll('[data-row][tabindex="0"]').length === 1);
    assert.equal(await grid.locator('[data-row][tabindex="0"]').getAttribute('aria-label'), `run ${FAILED_RUN}, discover: failed (try 2)`);
    await grid.locator('[data-row][tabindex="0"]').focus();
    await page.keyboard.press('ArrowLeft');
    await page.keyboard.press('ArrowDown');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `run ${successRunId}, transform: success`);
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('aria-label')), `run ${FAILED_RUN}, transform: not run`);
    const legend = await page.getByRole('list', { name: 'Legend' }).innerText();
    for (const state of ['success', 'failed', 'running', 'up for retry', 'queued', 'skipped', 'cancelled', 'not run']) assert.match(legend, new RegExp(state));
    await page.locator('[data-testid="runs-duration-trend"] .recharts-bar-rectangle').nth(1).waitFor();
    const ran = await product.database.pool.query('SELECT count(*)::int AS n FROM stockflow.runs WHERE started_at IS NOT NULL AND finished_at IS NOT NULL');
    assert.equal(await page.locator('[data-testid="runs-duration-trend"] .recharts-bar-rectangle').count(), ran.rows[0].n, 'a bar per run that ran to an end');
    // Times carry their zone; the long marker key is cut to its cell, the whole of it in the title.
    const history = page.getByRole('form', { name: 'Runs' });
    const failedRow = history.locator('tbody tr').filter({ hasText: FAILED_RUN });
    assert.match(await failedRow.locator('td').nth(3).innerText(), /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
    assert.equal(await failedRow.locator(`[title="event by ${LONG_KEY}"]`).count(), 1);
    assert.ok((await overflow(page)) <= 0, 'the runs page fits 1280 px');
    await product.screenshot(page, 'runs-ux-list');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await grid.waitFor();
    assert.ok((await overflow(page)) <= 0, `the runs page fits a phone screen (overflow ${await overflow(page)}px)`);
    await page.close();
  });

  it('opens a failed step from the grid and reads its log by try, level and text, and downloads it', async () => {
    const page = await product.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await signIn(page, product.url, 'admin', product.adminPassword);
    // Opened without a step, a failed run shows its failed step's log.
    await page.goto(`${product.url}/runs/${FAILED_RUN}`);
    await page.getByRole('log', { name: 'discover log' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'discover' }).getAttribute('aria-selected'), 'true');
    await page.goto(`${product.url}/runs`);
    await page.getByRole('link', { name: `run ${FAILED_RUN}, discover: failed (try 2)` }).click();
    await page.waitForURL(new RegExp(`/runs/${FAILED_RUN}\\?step=discover$`));
    assert.equal(await page.getByRole('tab', { name: 'discover' }).getAttribute('aria-selected'), 'true');
    const log = page.getByRole('log', { name: 'discover log' });
    // The latest try opens first.
    await log.filter({ hasText: 'Company list CompanyNames/top_companies.txt not found' }).waitFor();
    assert.equal(await page.getByLabel('Try').inputValue(), '2');
    assert.equal(await log.getByText('first try line 1', { exact: true }).count(), 0);
    await page.getByLabel('Try').selectOption('1');
    await log.filter({ hasText: 'first try: will retry' }).waitFor();
    assert.equal(await log.getByText('Company list CompanyNames/top_companies.txt not found').count(), 0);
    await page.getByLabel('Try').selectOption('all');
    await page.getByLabel('Level').selectOption('warn');
    await log.filter({ hasText: 'first try: will retry' }).filter({ hasText: 'top_companies.txt not found' }).waitFor();
    assert.equal(await log.locator('div').count(), 2, 'WARN and above: one warning and one error');
    await page.getByLabel('Level').selectOption('');
    await page.getByLabel('Try').selectOption('2');
    // The needle is outside the lines the viewer holds: the server searches the whole log.
    assert.equal(await log.getByText('a Needle among the early lines').count(), 0);
    await page.getByLabel('Search the log').fill('needle');
    await page.getByRole('status').filter({ hasText: '1 matching line in the whole discover log (try 2)' }).waitFor();
    assert.equal(await log.locator('mark').innerText(), 'Needle');
    assert.equal(await log.locator('div').count(), 1);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download discover try 2 log' }).click()]);
    assert.equal(download.suggestedFilename(), `${FAILED_RUN}-discover-try2.log`);
    const text = await readFile((await download.path())!, 'utf8');
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, 3002, 'the whole try, not the lines on the page');
    assert.match(lines[0]!, /^\d{4}-\d{2}-\d{2}T[\d:.]+Z INFO {2}a Needle among the early lines$/);
    assert.match(lines.at(-1)!, /ERROR Company list CompanyNames\/top_companies.txt not found$/);
    // The run page fits a phone with a 300-character trigger, and says its times' zone.
    assert.match(await page.locator('.cards').innerText(), /UTC/);
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await log.waitFor();
    assert.ok((await overflow(page)) <= 0, `the run page fits a phone screen (overflow ${await overflow(page)}px)`);
    assert.deepEqual(
      consoleErrors.filter((text) => /hydrat|#418|#425/i.test(text)),
      [],
      'the runs pages hydrate without a mismatch',
    );
    await page.close();
  });

  it('answers bad parameters with a reason: inline on the page, 400 from the APIs', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    const response = await page.goto(`${product.url}/runs?status=bogus&from=2026-02-31&to=2026-13-01&before=x`);
    assert.equal(response?.status(), 200);
    await page.getByRole('alert').filter({ hasText: 'Status "bogus": status must be one of queued, running, success, failed, cancelled' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Queued from "2026-02-31": no such day' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'to "2026-13-01": no such day' }).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Page: not a page cursor' }).waitFor();
    assert.equal(await page.getByLabel('Queued from').getAttribute('aria-invalid'), 'true');
    // The page still works: every run is listed, the filters still filter.
    await page.getByRole('form', { name: 'Runs' }).locator('tbody tr').filter({ hasText: FAILED_RUN }).waitFor();
    await page.getByRole('link', { name: 'failed', exact: true }).click();
    await page.waitForURL(/status=failed/);
    assert.equal(await page.locator('.field-error').count(), 0);
    await product.screenshot(page, 'runs-ux-bad-params');
    const base = `${product.url}/api/runs/${FAILED_RUN}/logs`;
    for (const [path, reason] of [
      [`${base}?step=discover&level=loud`, /level: level must be info, warn or error/],
      [`${base}?step=bogus`, /step: step must be one of discover/],
      [`${base}?step=discover&try=0`, /try:/],
      [`${base}?step=discover&q=${'x'.repeat(201)}`, /q: search at most 200 characters/],
      [`${base}/download?step=discover&try=abc`, /try:/],
      [`${base}/download`, /step:/],
    ] as const) {
      const answer = await page.request.get(path);
      assert.equal(answer.status(), 400, path);
      assert.match(((await answer.json()) as { error: string }).error, reason, path);
    }
    assert.equal((await page.request.get(`${product.url}/api/runs/no_such_run/logs/download?step=load`)).status(), 404);
    await page.close();
  });

  it('cancels several queued runs in one action while the worker is paused', async () => {
    const page = await product.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/host`);
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Host is stopped.' }).waitFor();
    const queued: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const triggered = await product.cli(['trigger', '--json']);
      assert.equal(triggered.code, 0, triggered.stderr);
      queued.push((JSON.parse(triggered.stdout) as { runId: string }).runId);
    }
    await page.goto(`${product.url}/runs`);
    // Only runs that can be cancelled can be picked.
    assert.equal(await page.getByRole('checkbox', { name: `Select run ${FAILED_RUN}` }).count(), 0);
    await page.getByRole('checkbox', { name: `Select run ${queued[0]}` }).check();
    await page.getByRole('checkbox', { name: `Select run ${queued[2]}` }).check();
    await page.getByRole('button', { name: 'Cancel selected (2)' }).click();
    await page.getByRole('status').filter({ hasText: 'Cancelled 2 runs.' }).waitFor();
    const statuses = await product.database.pool.query<{ id: string; status: string }>('SELECT id, status FROM stockflow.runs WHERE id = ANY($1::text[])', [queued]);
    assert.deepEqual(Object.fromEntries(statuses.rows.map((row) => [row.id, row.status])), { [queued[0]!]: 'cancelled', [queued[1]!]: 'queued', [queued[2]!]: 'cancelled' });
    await page.getByRole('form', { name: 'Runs' }).locator('tbody tr').filter({ hasText: queued[0]! }).locator('.status-cancelled').waitFor();
    await product.screenshot(page, 'runs-ux-bulk-cancel');
    await page.close();
  });

  it("shows a run's conf and trigger, and re-runs it with an edited conf as a new run", async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs/${encodeURIComponent(successRunId)}`);
    assert.equal(await page.getByTestId('run-conf').innerText(), '{\n  "note": "grid",\n  "batch": 1\n}');
    assert.equal(await page.getByTestId('run-trigger').innerText(), 'manual by admin');
    const conf = page.getByLabel('Conf for a new run (JSON)');
    assert.equal(await conf.inputValue(), '{\n  "note": "grid",\n  "batch": 1\n}');
    await conf.fill('[1, 2]');
    await page.getByRole('button', { name: 'Re-run with this conf' }).click();
    await page.getByRole('alert').filter({ hasText: 'Conf must be a JSON object' }).waitFor();
    assert.equal(await conf.getAttribute('aria-invalid'), 'true');
    await conf.fill('{"note":"edited","batch":2}');
    await page.getByRole('button', { name: 'Re-run with this conf' }).click();
    await page.waitForURL((url) => url.pathname.startsWith('/runs/run_') && !url.pathname.endsWith(encodeURIComponent(successRunId)));
    const newRunId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const recorded = await product.database.pool.query('SELECT conf, trigger_kind, triggered_by, status FROM stockflow.runs WHERE id = $1', [newRunId]);
    assert.deepEqual(recorded.rows[0].conf, { note: 'edited', batch: 2 });
    assert.deepEqual([recorded.rows[0].trigger_kind, recorded.rows[0].triggered_by], ['manual', 'admin']);
    assert.equal(await page.getByTestId('run-conf').innerText(), '{\n  "note": "edited",\n  "batch": 2\n}');
    // The worker is paused: the new run waits, and a run that has not finished cannot be re-run yet.
    assert.equal(await page.getByRole('button', { name: 'Re-run with this conf' }).isDisabled(), true);
    await product.screenshot(page, 'runs-ux-detail');
    await page.close();
  });

  it('lets a viewer read runs but not cancel or re-run them', async () => {
    const page = await pageSignedInAs(product, 'val', 'viewer', 'viewer-password-2');
    await page.goto(`${product.url}/runs`);
    await page.getByRole('table', { name: 'Runs by step, oldest run first' }).waitFor();
    assert.equal(await page.getByRole('checkbox').count(), 0);
    assert.equal(await page.getByRole('button', { name: /Cancel selected/ }).count(), 0);
    await page.goto(`${product.url}/runs/${encodeURIComponent(successRunId)}`);
    assert.equal(await page.getByRole('button', { name: 'Re-run with this conf' }).isDisabled(), true);
    await page.getByText('Re-running needs the operator role.').waitFor();
    await page.close();
  });
});
