import assert from 'node:assert/strict';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';

import { E2E_EVENTS_SECRET, pageSignedInAs, type RunningProduct, signIn, withProduct } from './product';

describe('the control panel in Chromium', { timeout: 600_000 }, () => {
  let product: RunningProduct;
  withProduct((started) => (product = started));

  it('refuses a wrong password and signs the admin in', async () => {
    // The start banner says to drop markers into the monitored folder: it exists already.
    assert.ok((await stat(join(product.dataDir, 'buckets/monitored'))).isDirectory());
    const page = await product.newPage();
    await page.goto(`${product.url}/login`);
    const icon = await page.locator('link[rel="icon"]').first().getAttribute('href');
    assert.ok(icon, 'the pages name an icon');
    assert.equal((await page.request.get(new URL(icon, product.url).toString())).status(), 200);
    await page.goto(`${product.url}/runs`);
    assert.match(page.url(), /\/login$/);
    await product.screenshot(page, 'login');
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('not-the-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'Wrong user name or password.' }).waitFor();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    // Keyboard users skip the navigation: the first Tab reaches "Skip to content".
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Skip to content');
    await product.screenshot(page, 'overview');
    // Pages and APIs alike: never framed, no sniffing, no referrer leaks, no framework banner.
    for (const path of ['/', '/login', '/api/runs/x']) {
      const headers = (await page.request.get(`${product.url}${path}`)).headers();
      assert.equal(headers['x-frame-options'], 'DENY', path);
      assert.match(headers['content-security-policy'] ?? '', /frame-ancestors 'none'/, path);
      assert.equal(headers['x-content-type-options'], 'nosniff', path);
      assert.equal(headers['referrer-policy'], 'same-origin', path);
      assert.equal(headers['x-powered-by'], undefined, path);
    }
    // Bad values in API queries are the caller's mistake: 400 with the reason, never a 500.
    for (const path of ['/api/runs/a%20b', '/api/runs/x/logs?step=load&after=abc', '/api/runs/a%27b/logs?step=load', '/api/data/export?closeMin=abc', '/api/data/export?from=2026-02-31']) {
      const response = await page.request.get(`${product.url}${path}`);
      assert.equal(response.status(), 400, path);
      assert.ok(((await response.json()) as { error?: string }).error, path);
    }
    await page.close();
  });

  it('lets a viewer look but not act', async () => {
    const page = await pageSignedInAs(product, 'vera', 'viewer', 'viewer-password-1');
    await page.goto(`${product.url}/runs`);
    // The page has drawn its content (a positive signal) before we look for what must be absent.
    await page.getByRole('heading', { name: 'Runs', level: 1 }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Trigger run' }).count(), 0);
    await page.goto(`${product.url}/host`);
    // Shown, not offered: the buttons are disabled for a viewer (the server refuses too).
    assert.equal(await page.getByRole('button', { name: 'Stop' }).isDisabled(), true);
    await page.getByText('Starting and stopping needs the operator role.').waitFor();
    assert.match(await page.getByTestId('host-status').innerText(), /running/);
    await page.close();
  });

  it('triggers a run, watches it finish and reads its logs', async () => {
    const page = await product.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs`);
    await product.screenshot(page, 'runs');
    await page.getByLabel('Run conf as JSON').fill('{"note":"e2e"}');
    await page.getByRole('button', { name: 'Trigger run' }).click();
    await page.waitForURL(/\/runs\/run_/);
    // Live: the page polls until every step is done, without a reload.
    await page.locator('.timeline-row[data-step="notify"][data-status="success"]').waitFor({ timeout: 120_000 });
    await page.locator('h1 + .status-success').waitFor();
    assert.deepEqual(
      consoleErrors.filter((text) => /hydrat|#418/i.test(text)),
      [],
      'the live run page hydrates without a mismatch',
    );
    await page.getByRole('tab', { name: 'load' }).click();
    await page
      .getByRole('log', { name: 'load log' })
      .filter({ hasText: /rows loaded for \d+ companies/ })
      .waitFor();
    await product.screenshot(page, 'run-detail');
    const runId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop()!);
    const rejects = await page.request.get(`${product.url}/api/runs/${encodeURIComponent(runId)}/rejects`);
    assert.equal(rejects.status(), 200);
    assert.match(await rejects.text(), /^file,line,raw,reason\n/);
    await page.close();
  });

  it('opens a 100,000-line log at its end without freezing the page', async () => {
    const { rows } = await product.database.pool.query("SELECT id FROM stockflow.runs WHERE status = 'success' ORDER BY seq LIMIT 1");
    const runId = rows[0].id as string;
    await product.database.pool.query(
      `INSERT INTO stockflow.task_logs (run_id, step, try_number, level, message)
       SELECT $1, 'discover', 1, 'info', 'bulk line ' || n FROM generate_series(1, 100000) n`,
      [runId],
    );
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs/${encodeURIComponent(runId)}`);
    const started = Date.now();
    await page.getByRole('tab', { name: 'discover' }).click();
    // Wait well past the budget so a slow page reports its time instead of a locator timeout.
    await page.getByRole('log', { name: 'discover log' }).filter({ hasText: 'bulk line 100000' }).waitFor({ timeout: 60_000 });
    const elapsed = Date.now() - started;
    const rendered = await page.locator('[role="log"] > div').count();
    assert.ok(rendered <= 5000, `the page keeps at most 5,000 lines (has ${rendered})`);
    assert.ok(elapsed < 8_000, `the end of a 100,000-line log shows within 8 s (took ${elapsed} ms)`);
    await page.getByText('Showing the latest lines only').waitFor();
    await page.close();
  });

  it('starts a run when a .SUCCESS file lands in the monitored folder, and shows it', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs`);
    await mkdir(join(product.dataDir, 'buckets/monitored/2026-11-25'), { recursive: true });
    await writeFile(join(product.dataDir, 'buckets/monitored/2026-11-25/.SUCCESS'), '');
    // The list shows the new run and its end by itself, without a reload.
    const row = page.locator('table tbody tr').filter({ hasText: '2026-11-25/.SUCCESS' }).first();
    await row.waitFor({ timeout: 30_000 });
    await row.locator('.status-success').waitFor({ timeout: 120_000 });
    await row.getByRole('link').click();
    await page.locator('.timeline-row[data-step="notify"][data-status="success"]').waitFor({ timeout: 120_000 });
    assert.match(await page.locator('.cards').innerText(), /event by .*2026-11-25\/\.SUCCESS/);
    await page.close();
  });

  it('accepts S3 event notifications at /api/events/s3 with the shared secret', async () => {
    const event = await readFile('test/fixtures/s3-event-put.json', 'utf8');
    const refused = await fetch(`${product.url}/api/events/s3`, { method: 'POST', body: event });
    assert.equal(refused.status, 401);
    const accepted = await fetch(`${product.url}/api/events/s3`, { method: 'POST', body: event, headers: { authorization: `Bearer ${E2E_EVENTS_SECRET}` } });
    assert.equal(accepted.status, 200);
    const body = (await accepted.json()) as { runs: Array<{ runId: string; created: boolean }> };
    assert.deepEqual(
      body.runs.map((run) => run.created),
      [true],
    );
    const again = (await (await fetch(`${product.url}/api/events/s3`, { method: 'POST', body: event, headers: { authorization: `Bearer ${E2E_EVENTS_SECRET}` } })).json()) as {
      runs: Array<{ created: boolean }>;
    };
    assert.deepEqual(
      again.runs.map((run) => run.created),
      [false],
    );
    const stored = await product.database.pool.query('SELECT trigger_kind FROM stockflow.runs WHERE id = $1', [body.runs[0]!.runId]);
    assert.equal(stored.rows[0].trigger_kind, 'event');
  });

  it('browses, filters, sorts and exports the data', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    // Values the page cannot use are shown beside their field; the rest of the page works.
    const bad = await page.goto(`${product.url}/data?closeMin=abc&from=2026-02-31&pctMax=1`);
    assert.equal(bad?.status(), 200);
    await page.locator('#closeMin-problem').filter({ hasText: 'not applied' }).waitFor();
    await page.locator('#from-problem').filter({ hasText: 'no such day' }).waitFor();
    assert.equal(await page.getByLabel('Close ≥').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('% change ≤').inputValue(), '1', 'the good filter stays applied');
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).waitFor();
    await page.goto(`${product.url}/data`);
    await product.screenshot(page, 'data');
    const company = (await page.locator('table tbody tr').first().locator('td').last().innerText()).trim();
    await page.getByLabel('Company', { exact: true }).fill(company);
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.waitForURL(/company=/);
    await page.getByRole('link', { name: 'close_value' }).click();
    await page.waitForURL(/sort=close_value/);
    // Numbers are shown with thousands separators.
    const closes = await page.locator('table tbody tr td:nth-child(5)').allInnerTexts();
    const companies = new Set(await page.locator('table tbody tr td:nth-child(9)').allInnerTexts());
    assert.deepEqual([...companies], [company]);
    const numbers = closes.map((text) => Number(text.replace(/,/g, '')));
    assert.ok(numbers.length > 1 && numbers.every(Number.isFinite), 'the sorted page has rows to compare');
    assert.deepEqual(
      numbers,
      [...numbers].sort((a, b) => b - a),
      'sorted by close, descending',
    );
    await page.getByRole('link', { name: /close_value/ }).click();
    await page.waitForURL(/dir=asc/);
    const ascending = (await page.locator('table tbody tr td:nth-child(5)').allInnerTexts()).map((text) => Number(text.replace(/,/g, '')));
    assert.ok(ascending.length > 1 && ascending.every(Number.isFinite), 'the ascending page has rows to compare');
    assert.deepEqual(
      ascending,
      [...ascending].sort((a, b) => a - b),
    );
    await page.getByRole('link', { name: 'Next →' }).click();
    await page.waitForURL(/after=/);
    const secondPage = (await page.locator('table tbody tr td:nth-child(5)').allInnerTexts()).map((text) => Number(text.replace(/,/g, '')));
    assert.ok(secondPage.length > 0 && Number.isFinite(secondPage[0]!), 'the second page has rows');
    assert.ok(secondPage[0]! >= ascending[ascending.length - 1]!);

    const exportHref = await page.getByRole('link', { name: 'Export CSV', exact: true }).getAttribute('href');
    const response = await page.request.get(`${product.url}${exportHref}`);
    assert.equal(response.status(), 200);
    const csv = await response.text();
    await writeFile(join('test-results', 'export.csv'), csv);
    const lines = csv.trim().split('\n');
    assert.equal(lines[0], 'stock_date,open_value,high_value,low_value,close_value,volume_traded,daily_percent_change,value_change,company_name');
    const count = await product.database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = $1', [company]);
    assert.equal(lines.length - 1, count.rows[0].n);
    assert.ok(lines.length > 1, 'the export has rows, so the check below is not vacuous');
    assert.ok(lines.slice(1).every((line) => line.endsWith(`,${company}`)));
    await page.close();
  });

  it('finds a company as you type and draws its charts', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    const { rows } = await product.database.pool.query('SELECT company_name FROM historical_stocks_data ORDER BY company_name LIMIT 1');
    const company = rows[0].company_name as string;
    await page.goto(`${product.url}/companies`);
    await page.getByPlaceholder('Type a ticker').fill(company.slice(0, 2));
    await page.getByRole('option', { name: company, exact: true }).click();
    await page.waitForURL(new RegExp(`/companies/${company}$`));
    await page.locator('[data-testid="chart-price"] .candle').first().waitFor();
    await page.locator('[data-testid="chart-volume"] .recharts-bar-rectangle').first().waitFor();
    const shown = Number((await page.getByTestId('company-rows').innerText()).replace(/,/g, ''));
    const counted = await product.database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = $1', [company]);
    assert.equal(shown, counted.rows[0].n);
    await product.screenshot(page, 'company');
    await page.setViewportSize({ width: 390, height: 844 });
    await page.reload();
    await page.locator('[data-testid="chart-price"] svg').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the company page fits a phone screen (overflow ${overflow}px)`);
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.goto(`${product.url}/companies`);
    await product.screenshot(page, 'companies');
    await page.close();
  });

  it('changes the notification identity and sends a test', async () => {
    const page = await product.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (message) => message.type() === 'error' && consoleErrors.push(message.text()));
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/notifications`);
    await page.getByLabel('Cohort').waitFor();
    assert.deepEqual(
      consoleErrors.filter((text) => /pattern|regular expression/i.test(text)),
      [],
      'the identity inputs carry valid patterns',
    );
    await page.getByLabel('Cohort').fill('C42');
    await page.getByLabel('First name').fill('Grace');
    await page.getByLabel('Surname').fill('Hopper');
    assert.equal(await page.getByTestId('subject-preview').innerText(), 'C42_Grace_Hopper_Pipeline_Success');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.getByRole('button', { name: 'Send test notification' }).click();
    await page.getByRole('status').filter({ hasText: 'Test notification sent via outbox' }).waitFor();
    await page.reload();
    await page.locator('table tbody tr').first().filter({ hasText: 'C42_Grace_Hopper_Pipeline_Success' }).waitFor();
    // A mail given up on after a day of retries can be resent from the history.
    const failed = await product.database.pool.query(
      "INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status, attempts, last_error) VALUES ('r-old', 'failure', 'smtp', 'C42_Grace_Hopper_Pipeline_Failure', 'b', 'failed', 40, 'connection refused') RETURNING id",
    );
    await page.reload();
    await page.getByRole('button', { name: `Resend mail ${failed.rows[0].id}` }).click();
    await page
      .getByRole('status')
      .filter({ hasText: `#${failed.rows[0].id} is pending again` })
      .waitFor();
    assert.equal((await product.database.pool.query('SELECT status FROM stockflow.outbox WHERE id = $1', [failed.rows[0].id])).rows[0].status, 'pending');
    await product.screenshot(page, 'notifications');
    await page.close();
  });

  it('names the identity fields it refuses as the form does, beside each field', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/notifications`);
    const form = page.getByRole('form', { name: 'Notification identity' });
    // The browser's own checks (pattern, required) would stop these values first: switch them off to
    // reach the server's answer, as a script posting the form would.
    await form.evaluate((element) => ((element as HTMLFormElement).noValidate = true));
    await page.getByLabel('First name').fill('Gr@ce');
    await page.getByLabel('Surname').fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    const firstNameProblem = page.locator('#firstName-problem');
    await firstNameProblem.waitFor();
    assert.match(await firstNameProblem.innerText(), /^First name must be ASCII letters, digits or "-" only/);
    assert.equal(await page.locator('#surname-problem').innerText(), 'Surname is required.');
    assert.equal(await page.getByLabel('First name').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByLabel('Cohort').getAttribute('aria-invalid'), null, 'a good field is not marked');
    const shown = await form.innerText();
    assert.doesNotMatch(shown, /firstName|surname:|cohort:/, 'no internal field keys reach the user');
    // Nothing was saved: the subject in the history is still the one saved before.
    const saved = await product.database.pool.query("SELECT value->>'firstName' AS first FROM stockflow.settings WHERE key = 'notification_identity'");
    assert.equal(saved.rows[0].first, 'Grace');
    await page.close();
  });

  it('keeps long topic ARNs, addresses and errors inside a phone screen, with zoned times', async () => {
    const long = `arn:aws:sns:eu-central-1:123456789012:${'stockflow-notifications-'.repeat(6)}topic`;
    await product.database.pool.query(
      "INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status, attempts, last_error) VALUES ($1, 'failure', 'sns', 'C42_Grace_Hopper_Pipeline_Failure', 'b', 'failed', 3, $2)",
      [`event__${'0123456789abcdef'.repeat(4)}`, `AuthorizationError: not authorized to publish to ${long} as someone.with.a.very.long.address@example-corporation.com`],
    );
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/notifications`);
    const when = page.locator('table tbody tr').first().locator('td').nth(1);
    assert.match(await when.innerText(), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/, 'history times carry their zone');
    // screenshot() fails when the page is wider than 390 px.
    await product.screenshot(page, 'notifications-long');
    await page.close();
  });

  it('shows a styled 404 inside the panel, with the navigation', async () => {
    const page = await product.newPage();
    const anonymous = await page.goto(`${product.url}/no-such-page`);
    assert.equal(anonymous?.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('link', { name: 'Sign in' }).waitFor();
    await signIn(page, product.url, 'admin', product.adminPassword);
    const missing = await page.goto(`${product.url}/no-such-page`);
    assert.equal(missing?.status(), 404);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Runs' }).waitFor();
    await product.screenshot(page, 'not-found');
    // notFound() from a page (a run that does not exist) shows the same page inside the layout.
    await page.goto(`${product.url}/runs/run_does_not_exist`);
    await page.getByRole('heading', { name: 'Page not found' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('heading', { name: 'Overview' }).waitFor();
    await page.close();
  });

  it('shows a failing page as a generic error with a reference, inside the layout, and recovers on Try again', async () => {
    // A real failure, not a test switch: the table the notifications page reads goes missing, as
    // after a half-applied migration. First let every run finish: a notify step writes that table.
    await waitForDatabase(product, "SELECT NOT EXISTS (SELECT 1 FROM stockflow.runs WHERE status IN ('queued', 'running')) AS ok", []);
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await product.database.pool.query('ALTER TABLE stockflow.outbox RENAME TO outbox_moved_away');
    try {
      await page.goto(`${product.url}/notifications`);
      const alert = page.getByRole('alert').filter({ hasText: 'Something went wrong' });
      await alert.waitFor();
      const reference = await page.getByTestId('error-reference').innerText();
      assert.match(reference, /^\w+$/, 'the error names a reference for the server log');
      // The reference finds the real error in the server's log.
      await waitFor(() => product.output().includes(reference), 'the server log names the reference');
      const logged = product.output().slice(Math.max(0, product.output().indexOf(reference) - 2000), product.output().indexOf(reference) + 200);
      assert.match(logged, /outbox" does not exist/, 'the log beside the reference holds the database error');
      assert.doesNotMatch(await page.locator('main').innerText(), /outbox|relation|does not exist/, 'the database error stays in the log');
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Host' }).waitFor();
      await product.screenshot(page, 'error');
    } finally {
      await product.database.pool.query('ALTER TABLE stockflow.outbox_moved_away RENAME TO outbox');
    }
    await page.getByRole('button', { name: 'Try again' }).click();
    await page.getByRole('heading', { name: 'Notifications', level: 1 }).waitFor();
    assert.equal(await page.getByRole('alert').filter({ hasText: 'Something went wrong' }).count(), 0);
    await page.close();
  });

  it('stops and starts the host, and a stopped host leaves runs queued', async () => {
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/host`);
    page.on('dialog', (dialog) => void dialog.accept());
    await page.getByRole('button', { name: 'Stop' }).click();
    await page.getByRole('status').filter({ hasText: 'Host is stopped.' }).waitFor();
    const queued = await product.cli(['trigger', '--json']);
    const { runId } = JSON.parse(queued.stdout) as { runId: string };
    // Positive signal instead of a fixed sleep: the runner (the session holding its advisory lock)
    // has queried twice since the run was queued, so it went round its loop and could have claimed it.
    await runnerWentRoundSince(product, runId);
    const status = await product.database.pool.query('SELECT status FROM stockflow.runs WHERE id = $1', [runId]);
    assert.equal(status.rows[0].status, 'queued');
    await page.reload();
    assert.equal((await page.getByTestId('host-status').innerText()).trim(), 'stopped', 'a stopped host says stopped');
    assert.match(await page.getByText(/^As of /).innerText(), /^As of \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\./, 'the time the state was read carries its zone');
    await product.screenshot(page, 'host');
    await page.getByRole('button', { name: 'Start' }).click();
    await page.getByRole('status').filter({ hasText: 'Host is running.' }).waitFor();
    // Started again, the worker takes the run, and not before the host was started.
    await waitForDatabase(product, 'SELECT started_at IS NOT NULL AS ok FROM stockflow.runs WHERE id = $1', [runId]);
    const order = await product.database.pool.query("SELECT r.started_at >= s.updated_at AS after_start FROM stockflow.runs r, stockflow.settings s WHERE r.id = $1 AND s.key = 'worker_paused'", [
      runId,
    ]);
    assert.equal(order.rows[0].after_start, true, 'the queued run started only after the host was started');
    await page.close();
  });
});

/** Polls a condition until it holds (a positive signal), for at most `timeoutMs`. */
async function waitFor(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for: ${what}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

const RUNNER_LOCK_KEY = 7_391_022_516; // server/runs/runner-lock.ts

/** Polls a query until its `ok` column is true (a positive signal), for at most `timeoutMs`. */
async function waitForDatabase(product: RunningProduct, sql: string, params: unknown[], timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await product.database.pool.query(sql, params);
    if (rows[0]?.ok === true) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for: ${sql}`);
    await new Promise((resolveWait) => setTimeout(resolveWait, 100));
  }
}

/** The runner's lock session has started two queries since the run was queued (each loop checks the lock). */
async function runnerWentRoundSince(product: RunningProduct, runId: string): Promise<void> {
  // Times stay text between queries: a JS Date would drop PostgreSQL's microseconds.
  const lockSessionQueryStart = `SELECT a.query_start FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
     WHERE l.locktype = 'advisory' AND l.granted AND ((l.classid::bigint << 32) | l.objid::bigint) = $1
       AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())`; // other products share the server
  const { rows } = await product.database.pool.query<{ since: string }>('SELECT queued_at::text AS since FROM stockflow.runs WHERE id = $1', [runId]);
  let since = rows[0]!.since;
  for (let round = 0; round < 2; round += 1) {
    await waitForDatabase(product, `SELECT (${lockSessionQueryStart}) > $2::timestamptz AS ok`, [RUNNER_LOCK_KEY, since]);
    since = (await product.database.pool.query<{ since: string }>(`SELECT (${lockSessionQueryStart})::text AS since`, [RUNNER_LOCK_KEY])).rows[0]!.since;
  }
}
