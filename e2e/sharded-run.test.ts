import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { type Shard, shardStepKey } from '../server/pipeline/shard';
import { RunRepository } from '../server/runs/run-repository';
import { TaskTry } from '../server/runs/task-try';
import { pageSignedInAs, type RunningProduct, withProduct } from './product';

const FAILED = 'manual__e2e_sharded_failed';
const LIVE = 'manual__e2e_sharded_live';
const three = (index: number): Shard => ({ index, count: 3 });

/** Scale-out (issue #11): transform and load as 3 shards each, recorded as Airflow's mapped `stockflow step --shard i/3` tasks record them. */
describe('a sharded run in Chromium', { timeout: 600_000 }, () => {
  let product: RunningProduct;
  let runs: RunRepository;

  withProduct((started) => {
    product = started;
    runs = new RunRepository(started.database.pool);
  });

  async function recordTry(
    runId: string,
    step: string,
    shard: Shard | undefined,
    status: 'success' | 'failed' | 'up_for_retry' | 'running',
    lines: string[],
    progress?: { done: number; total: number; rows: number },
  ) {
    const key = shardStepKey(step, shard);
    const task = await TaskTry.begin(runs, runId, key);
    for (const line of lines) task.log.log((status === 'failed' || status === 'up_for_retry') && line === lines.at(-1) ? 'error' : 'info', line);
    if (progress) await runs.updateProgress(runId, key, task.tryNumber, progress);
    if (status === 'running') return task.log.flush();
    await task.finish(status, status === 'success' ? null : lines.at(-1)!);
  }

  async function recordFailedRun(): Promise<void> {
    await runs.markRunning({ id: FAILED, trigger: { kind: 'manual', by: 'ada' }, conf: { shards: 3 }, orchestrator: 'airflow' });
    await recordTry(FAILED, 'discover', undefined, 'success', ['discover: 9 companies']);
    for (const index of [1, 2, 3])
      await recordTry(FAILED, 'transform', three(index), 'success', [`transform shard ${index}: 3 files`, `transform shard ${index}: done`], { done: 3, total: 3, rows: 300 });
    await recordTry(FAILED, 'load', three(1), 'success', ['load shard 1: committed'], { done: 3, total: 3, rows: 300 });
    await recordTry(FAILED, 'load', three(2), 'up_for_retry', ['load shard 2: first try', 'load shard 2: connection reset']);
    await recordTry(FAILED, 'load', three(2), 'failed', ['load shard 2: second try', 'load shard 2: COPY count 99, manifest 100']);
    await recordTry(FAILED, 'load', three(3), 'success', ['load shard 3: committed'], { done: 3, total: 3, rows: 300 });
    await recordTry(FAILED, 'notify', undefined, 'success', ['notify: failure mailed']);
    await runs.finishRun(FAILED, 'failed', null, 'step load[2/3] failed');
  }

  it('shows a sharded step as one grid cell and one step row, its shards underneath, each shard with its own tries and log', async () => {
    await recordFailedRun();
    const page = await pageSignedInAs(product, 'vic', 'viewer', 'viewer-password-1');
    await page.goto(`${product.url}/runs`);
    const grid = page.getByRole('table', { name: 'Runs by step, oldest run first' });
    await grid.getByRole('link', { name: `run ${FAILED}, transform: success, 3 shards (3 success)` }).waitFor();
    await grid.getByRole('link', { name: `run ${FAILED}, discover: success` }).waitFor();
    const loadCell = grid.getByRole('link', { name: `run ${FAILED}, load: failed (try 2), 3 shards (1 failed, 2 success)` });
    assert.equal(await loadCell.getAttribute('data-shards'), '3');
    await product.screenshot(page, 'sharded-run-grid');

    // The cell opens the step; a sharded step shows its shard that failed, with its latest try.
    await loadCell.click();
    await page.waitForURL(new RegExp(`/runs/${FAILED}\\?step=load$`));
    const log = page.getByRole('log', { name: 'load[2/3] log' });
    await log.filter({ hasText: 'load shard 2: COPY count 99, manifest 100' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'load · 3 shards' }).getAttribute('aria-selected'), 'true');
    assert.equal(await page.getByLabel('Shard', { exact: true }).inputValue(), 'load[2/3]');
    assert.equal(await page.getByLabel('Try').inputValue(), '2');
    const loadRow = page.locator('.timeline-row[data-step="load"]');
    assert.equal(await loadRow.getAttribute('data-status'), 'failed');
    assert.match(await loadRow.innerText(), /3 shards/);
    // Its shards are open underneath, the shown one pressed.
    const loadShards = page.getByRole('list', { name: 'load shards' });
    assert.deepEqual(await loadShards.locator('.timeline-row').evaluateAll((rows) => rows.map((row) => `${row.getAttribute('data-step')}:${row.getAttribute('data-status')}`)), [
      'load[1/3]:success',
      'load[2/3]:failed',
      'load[3/3]:success',
    ]);
    assert.equal(await page.getByRole('button', { name: 'load shard 2/3: failed, show its log' }).getAttribute('aria-pressed'), 'true');
    await page.getByLabel('Try').selectOption('1');
    await log.filter({ hasText: 'load shard 2: connection reset' }).waitFor();
    assert.equal(await log.getByText('COPY count 99').count(), 0);

    // Transform's shards open from its row; a click shows that shard's log, and the URL names it.
    const toggle = page.locator('.timeline-row[data-step="transform"]').getByRole('button', { name: '3 shards' });
    assert.equal(await toggle.getAttribute('aria-expanded'), 'false');
    await toggle.click();
    await page.getByRole('button', { name: 'transform shard 3/3: success, show its log' }).click();
    await page.waitForURL((url) => url.searchParams.get('step') === 'transform[3/3]');
    await page.getByRole('log', { name: 'transform[3/3] log' }).filter({ hasText: 'transform shard 3: done' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'transform · 3 shards' }).getAttribute('aria-selected'), 'true');
    // The shard picker beside the log does the same; search and download work on the shard alone.
    await page.getByLabel('Shard', { exact: true }).selectOption('transform[1/3]');
    const firstShard = page.getByRole('log', { name: 'transform[1/3] log' });
    await firstShard.filter({ hasText: 'transform shard 1: done' }).waitFor();
    await page.getByLabel('Search the log').fill('3 files');
    await page.getByRole('status').filter({ hasText: '1 matching line in the whole transform[1/3] log (try 1)' }).waitFor();
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download transform[1/3] try 1 log' }).click()]);
    assert.equal(download.suggestedFilename(), `${FAILED}-transform_1_3_-try1.log`);
    await product.screenshot(page, 'sharded-run-detail');

    // A link to one shard opens it; a key that names no shard falls back to the failed step.
    await page.goto(`${product.url}/runs/${FAILED}?step=${encodeURIComponent('load[3/3]')}`);
    await page.getByRole('log', { name: 'load[3/3] log' }).filter({ hasText: 'load shard 3: committed' }).waitFor();
    await page.goto(`${product.url}/runs/${FAILED}?step=${encodeURIComponent('load[4/3]')}`);
    await page.getByRole('log', { name: 'load[2/3] log' }).waitFor();
    for (const [step, status] of [
      ['load[2/3]', 200],
      ['load[4/3]', 400],
      ['notify[1/3]', 400],
    ] as const) {
      const answer = await page.request.get(`${product.url}/api/runs/${FAILED}/logs?step=${encodeURIComponent(step)}&tail=10`);
      assert.equal(answer.status(), status, step);
    }
    await page.close();
  });

  it('follows a sharded step live: its summed progress and state move as the shards report', async () => {
    await runs.markRunning({ id: LIVE, trigger: { kind: 'manual', by: 'ada' }, conf: { shards: 3 }, orchestrator: 'airflow' });
    await recordTry(LIVE, 'discover', undefined, 'success', ['discover: 9 companies']);
    await recordTry(LIVE, 'transform', three(1), 'success', ['transform shard 1: done'], { done: 3, total: 3, rows: 300 });
    await recordTry(LIVE, 'transform', three(2), 'running', ['transform shard 2: reading'], { done: 1, total: 3, rows: 100 });
    const page = await pageSignedInAs(product, 'liv', 'viewer', 'viewer-password-2');
    await page.goto(`${product.url}/runs/${LIVE}`);
    const row = page.locator('.timeline-row[data-step="transform"]');
    await row.and(page.locator('[data-status="running"]')).filter({ hasText: '4/6' }).waitFor();
    // The running shard's log is the one shown; the shard not started yet is listed as waiting.
    await page.getByRole('log', { name: 'transform[2/3] log' }).filter({ hasText: 'transform shard 2: reading' }).waitFor();
    await page.locator('.timeline-row[data-step="transform[3/3]"][data-status="waiting"]').waitFor();

    await runs.updateProgress(LIVE, 'transform[2/3]', 1, { done: 3, total: 3, rows: 290 });
    await runs.finishTask(LIVE, 'transform[2/3]', 1, 'success', null);
    await recordTry(LIVE, 'transform', three(3), 'running', ['transform shard 3: reading'], { done: 2, total: 3, rows: 200 });
    await row.filter({ hasText: '8/9' }).waitFor();
    await runs.updateProgress(LIVE, 'transform[3/3]', 1, { done: 3, total: 3, rows: 300 });
    await runs.finishTask(LIVE, 'transform[3/3]', 1, 'success', null);
    await row.and(page.locator('[data-status="success"]')).filter({ hasText: '9/9' }).waitFor();
    await product.screenshot(page, 'sharded-run-live');
    await runs.finishRun(LIVE, 'cancelled', null, 'cancelled by the test');
    await page.close();
  });
});
