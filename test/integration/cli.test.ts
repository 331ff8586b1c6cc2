import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { streamToString } from '../../server/pipeline/streams';
import { seedSynthetic } from '../../server/seed/synthetic';
import { stockflow } from '../helpers/cli';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { testRunner } from '../helpers/runner';
import { startTestS3 } from '../helpers/s3';

describe('the stockflow CLI', () => {
  let database: TestDatabase;
  let dataDir: string;
  let env: Record<string, string | undefined>;
  before(async () => {
    database = await createTestDatabase('cli');
    dataDir = await mkdtemp(join(tmpdir(), 'stockflow-cli-'));
    env = { DATABASE_URL: database.url, STOCKFLOW_DATA_DIR: dataDir, STOCKFLOW_COHORT: 'C3', STOCKFLOW_FIRST_NAME: 'Cli', STOCKFLOW_SURNAME: 'User' };
  });
  after(async () => {
    await database?.drop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('seeds synthetic data and runs the pipeline, printing one JSON summary', async () => {
    const seeded = await stockflow(['seed', '--synthetic', '30'], env);
    assert.equal(seeded.code, 0, seeded.stderr);
    const run = await stockflow(['run', '--json'], env);
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout);
    assert.deepEqual(Object.keys(summary).sort(), ['changes', 'companies', 'durationMs', 'error', 'files', 'loadMode', 'rows', 'runId', 'status']);
    assert.equal(summary.loadMode, 'companies');
    assert.deepEqual(summary.changes, { added: summary.rows.loaded, changed: 0, removed: 0, unchanged: 0, companiesAdded: summary.files.found - summary.files.empty, companiesRemoved: 0 });
    assert.equal(summary.status, 'success');
    assert.deepEqual(Object.keys(summary.files).sort(), ['appended', 'empty', 'failed', 'found', 'listed', 'missing', 'unchanged']);
    assert.equal(summary.files.found, 30);
    assert.equal(summary.rows.read, summary.rows.loaded + summary.rows.rejected);
    const count = await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data');
    assert.equal(count.rows[0].n, summary.rows.loaded);
    const recorded = await database.pool.query('SELECT status, orchestrator FROM stockflow.runs WHERE id = $1', [summary.runId]);
    assert.deepEqual(recorded.rows[0], { status: 'success', orchestrator: 'cli' });
    const steps = await database.pool.query('SELECT step FROM stockflow.task_runs WHERE run_id = $1 ORDER BY started_at', [summary.runId]);
    assert.deepEqual(
      steps.rows.map((row) => row.step),
      ['discover', 'transform', 'load', 'notify'],
    );
    const outputFile = await readFile(join(dataDir, 'buckets/source/Output/historical_stock_data.csv'), 'utf8');
    assert.equal(outputFile.split('\n').filter(Boolean).length, summary.rows.loaded);
  });

  it('runs from an S3 bucket, keeping the output in the data folder until it is sent whole, and leaving nothing there', async () => {
    const s3 = await startTestS3();
    try {
      await seedSynthetic(await s3.store('cli-source'), 12);
      const run = await stockflow(['run', '--json'], { ...env, STOCKFLOW_SOURCE: 's3://cli-source', S3_ENDPOINT: s3.endpoint, AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' });
      assert.equal(run.code, 0, run.stderr);
      const summary = JSON.parse(run.stdout);
      assert.equal(summary.status, 'success');
      const published = await streamToString(await (await s3.store('cli-source')).get('Output/historical_stock_data.csv'));
      assert.equal(published.split('\n').filter(Boolean).length, summary.rows.loaded);
      assert.deepEqual(await readdir(join(dataDir, 'spool')), []);
    } finally {
      await s3.close();
    }
  });

  it('runs the steps one by one, as Airflow tasks do', async () => {
    for (const step of ['discover', 'transform', 'load', 'notify']) {
      // The files of the run before: full reads them again (unchanged ones are skipped otherwise).
      const result = await stockflow(['step', step, '--run-id', 'manual__2026-11-25T10:00:00+00:00', '--conf', '{"full":true}'], env);
      assert.equal(result.code, 0, `${step}: ${result.stderr}`);
    }
    const runId = 'manual__2026-11-25T10:00:00+00:00';
    const outbox = await database.pool.query('SELECT subject FROM stockflow.outbox WHERE run_id = $1', [runId]);
    assert.equal(outbox.rows[0].subject, 'C3_Cli_User_Pipeline_Success');
    // Each step process recorded itself: the run, one try per step, progress and log lines.
    const run = await database.pool.query('SELECT status, orchestrator, summary FROM stockflow.runs WHERE id = $1', [runId]);
    assert.equal(run.rows[0].status, 'success');
    assert.equal(run.rows[0].orchestrator, 'cli');
    assert.ok(run.rows[0].summary.rows.loaded > 0);
    const tasks = await database.pool.query('SELECT step, try_number, status, progress_done, progress_total FROM stockflow.task_runs WHERE run_id = $1 ORDER BY started_at', [runId]);
    assert.deepEqual(
      tasks.rows.map((task) => [task.step, task.try_number, task.status]),
      [
        ['discover', 1, 'success'],
        ['transform', 1, 'success'],
        ['load', 1, 'success'],
        ['notify', 1, 'success'],
      ],
    );
    const transform = tasks.rows.find((task) => task.step === 'transform');
    assert.ok(transform.progress_total > 0 && transform.progress_done === transform.progress_total, 'transform progress recorded');
    const logs = await database.pool.query("SELECT step, message FROM stockflow.task_logs WHERE run_id = $1 AND step = 'notify'", [runId]);
    assert.ok(
      logs.rows.some((line) => /sent via outbox/.test(line.message)),
      'the notify log says sent only once it was',
    );

    // dag_run.conf reaches every task: load_mode replace makes the table hold exactly the batch.
    await database.pool.query("INSERT INTO historical_stocks_data VALUES ('2001-01-02', 1, 1, 1, 1, 1, 0, 0, 'oldco')");
    const replaceRun = 'manual__2026-11-25T11:00:00+00:00';
    for (const step of ['discover', 'transform', 'load', 'notify']) {
      const result = await stockflow(['step', step, '--run-id', replaceRun, '--conf', '{"load_mode":"replace"}'], env);
      assert.equal(result.code, 0, `${step}: ${result.stderr}`);
    }
    const replaced = await database.pool.query('SELECT summary FROM stockflow.runs WHERE id = $1', [replaceRun]);
    assert.equal(replaced.rows[0].summary.loadMode, 'replace');
    assert.equal(replaced.rows[0].summary.companiesRemoved, 1);
    const left = await database.pool.query("SELECT count(*)::int AS n FROM historical_stocks_data WHERE company_name = 'oldco'");
    assert.equal(left.rows[0].n, 0, 'the company outside the batch is gone');
  });

  it('lists the outbox and resends a mail that was given up on', async () => {
    const failed = await database.pool.query(
      "INSERT INTO stockflow.outbox (run_id, outcome, channel, subject, body, status, attempts, last_error) VALUES ('r-cli', 'failure', 'smtp', 'C3_Cli_User_Pipeline_Failure', 'b', 'failed', 30, 'connection refused') RETURNING id::text AS id",
    );
    const id = failed.rows[0].id as string;
    const list = await stockflow(['mail', 'list', '--failed'], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, new RegExp(`#${id} .*failed .*C3_Cli_User_Pipeline_Failure .*connection refused`));
    const resend = await stockflow(['mail', 'resend', id], env);
    assert.equal(resend.code, 0, resend.stderr);
    assert.match(resend.stdout, /pending again and retried for 24 h/);
    const row = await database.pool.query('SELECT status, attempts FROM stockflow.outbox WHERE id = $1', [id]);
    assert.deepEqual(row.rows[0], { status: 'pending', attempts: 0 });
    const again = await stockflow(['mail', 'resend', id], env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /not a failed mail/);
  });

  it('refuses a step whose previous step never ran, exiting 1', async () => {
    const result = await stockflow(['step', 'load', '--run-id', 'never-discovered'], env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /has no successful transform step/);
  });

  it('exits 1 with a failure summary when the run fails', async () => {
    const result = await stockflow(['run', '--json'], { ...env, STOCKFLOW_SOURCE: join(dataDir, 'empty-bucket') });
    assert.equal(result.code, 1);
    const summary = JSON.parse(result.stdout);
    assert.equal(summary.status, 'failed');
    assert.equal(summary.error.step, 'discover');
  });

  it('lists every bad setting at once and exits 2', async () => {
    const result = await stockflow(['run'], { ...env, DATABASE_URL: 'mysql://nope', STOCKFLOW_COHORT: 'has space' });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /DATABASE_URL: expected a postgres/);
    assert.match(result.stderr, /STOCKFLOW_COHORT: use ASCII letters/);
  });

  it('refuses to start the control panel on a port browsers will not open, before starting anything', async () => {
    const result = await stockflow(['start', '--port', '6000'], env);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /port 6000 is reserved for x11: browsers refuse to open pages on it/);
  });

  it('queues, lists, shows, logs and refuses to retry runs', async () => {
    const triggered = await stockflow(['trigger', '--json', '--conf', '{"note":"from the cli"}'], env);
    assert.equal(triggered.code, 0, triggered.stderr);
    const { runId } = JSON.parse(triggered.stdout) as { runId: string };
    const queued = JSON.parse((await stockflow(['runs', '--json', '--status', 'queued'], env)).stdout) as { runs: Array<{ id: string; conf: unknown }> };
    assert.deepEqual(
      queued.runs.map((run) => run.id),
      [runId],
    );
    assert.deepEqual(queued.runs[0]!.conf, { note: 'from the cli' });
    await testRunner(database.pool, new FolderObjectStore(join(dataDir, 'buckets/source'))).drain();
    const status = await stockflow(['status', runId], env);
    assert.match(status.stdout, new RegExp(`Run ${runId}: success`));
    assert.match(status.stdout, /transform\s+success\s+try 1/);
    const logs = await stockflow(['logs', runId, '--step', 'load', '--follow'], env);
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /load: \d+ rows loaded for 30 companies/);
    assert.match(logs.stdout, new RegExp(`Run ${runId}: success`));
    const listed = await stockflow(['runs'], env);
    assert.match(listed.stdout, new RegExp(`${runId}\\s+success\\s+manual`));
    const retry = await stockflow(['retry', runId], env);
    assert.equal(retry.code, 1);
    assert.match(retry.stderr, /Only a failed or cancelled run can be retried/);
    const cancel = await stockflow(['cancel', 'no-such-run'], env);
    assert.equal(cancel.code, 1);
    assert.match(cancel.stderr, /No run no-such-run/);
    const badConf = await stockflow(['trigger', '--conf', '[1]'], env);
    assert.equal(badConf.code, 2);
    const badMode = await stockflow(['trigger', '--mode', 'everything'], env);
    assert.equal(badMode.code, 2);
    assert.match(badMode.stderr, /--mode must be companies or replace/);
    const badConfMode = await stockflow(['trigger', '--conf', '{"load_mode":"all"}'], env);
    assert.equal(badConfMode.code, 2);
    assert.match(badConfMode.stderr, /load_mode must be "companies" or "replace"/);
  });

  it('explains usage mistakes', async () => {
    const unknown = await stockflow(['frobnicate'], env);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command "frobnicate"/);
    const badStep = await stockflow(['step', 'explode', '--run-id', 'x'], env);
    assert.equal(badStep.code, 2);
    assert.match(badStep.stderr, /step must be one of discover, transform, load, notify/);
    const badId = await stockflow(['step', 'load', '--run-id', 'a b'], env);
    assert.equal(badId.code, 2);
    const seed = await stockflow(['seed'], env);
    assert.equal(seed.code, 2);
  });
});
