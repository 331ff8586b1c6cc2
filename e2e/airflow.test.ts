import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';

// @ts-expect-error: plain ESM build script without type declarations
import { buildLambda } from '../infra/lambda/build.mjs';
import { migrate } from '../server/db/migrate';
import { KEYS } from '../server/pipeline/context';
import { seedSynthetic } from '../server/seed/synthetic';
import { type AirflowStub, startAirflowStub, STUB_USER } from '../test/helpers/airflow-stub';
import { type DagRunResult, executeDagRun } from '../test/helpers/dag-executor';
import { inspectDag } from '../test/helpers/dag-file';
import { createTestDatabase, type TestDatabase } from '../test/helpers/postgres';
import { startTestS3, type TestS3 } from '../test/helpers/s3';
import { startTestSmtp, type TestSmtp } from '../test/helpers/smtp';
import { type RunningProduct, signIn, startProduct } from './product';

/**
 * The cloud path on one machine: an S3 event (AWS's documented shape) reaches the bundled Lambda,
 * which triggers the DAG on an Airflow stand-in that checks every request against Airflow's
 * OpenAPI document and runs the DAG file's own tasks as separate processes; the steps load the
 * table from an S3-compatible server, mail through a real SMTP listener, and the control panel
 * (orchestrator airflow) shows the run from what the steps recorded.
 */

const IDENTITY = { STOCKFLOW_COHORT: 'C9', STOCKFLOW_FIRST_NAME: 'Ada', STOCKFLOW_SURNAME: 'Lovelace' };

function s3PutEvent(bucket: string, key: string, versionId: string, sequencer: string): unknown {
  // The record shape of AWS's "Event message structure" example (S3 user guide), for a versioned bucket.
  return {
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: 'us-east-1',
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        userIdentity: { principalId: 'AWS:AIDAEXAMPLE' },
        requestParameters: { sourceIPAddress: '203.0.113.10' },
        responseElements: { 'x-amz-request-id': 'C3D13FE58DE4C810', 'x-amz-id-2': 'FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD' },
        s3: {
          s3SchemaVersion: '1.0',
          configurationId: 'stockflow-success-marker',
          bucket: { name: bucket, ownerIdentity: { principalId: 'A3NL1KOZZKExample' }, arn: `arn:aws:s3:::${bucket}` },
          object: { key, size: 0, eTag: 'd41d8cd98f00b204e9800998ecf8427e', versionId, sequencer },
        },
      },
    ],
  };
}

describe('the Airflow path: S3 event -> Lambda -> Airflow -> DAG tasks -> PostgreSQL, mail, panel', () => {
  let database: TestDatabase;
  let s3: TestS3;
  let stub: AirflowStub;
  let smtp: TestSmtp;
  let work: string;
  let product: RunningProduct | null = null;
  let handler: (event: unknown) => Promise<{ triggered: string[] }>;
  const executions = new Map<string, Promise<DagRunResult>>();
  const dag = inspectDag();

  before(async () => {
    [database, s3] = await Promise.all([createTestDatabase('airflow_path'), startTestS3()]);
    await migrate(database.pool);
    work = await mkdtemp(join(tmpdir(), 'stockflow-airflow-'));
    await seedSynthetic(await s3.store('source'), 12, 7);
    await s3.store('monitored');

    smtp = await startTestSmtp();

    // The worker container's PATH has `stockflow`; here it is the repository's CLI.
    await writeFile(join(work, 'stockflow'), `#!/usr/bin/env bash\nexec "${process.execPath}" "${resolve('bin/stockflow.js')}" "$@"\n`);
    await chmod(join(work, 'stockflow'), 0o755);
    const taskEnv = {
      PATH: `${work}:${process.env.PATH}`,
      HOME: work,
      DATABASE_URL: database.url,
      STOCKFLOW_SOURCE: 's3://source',
      S3_ENDPOINT: s3.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      SMTP_URL: smtp.url,
      STOCKFLOW_MAIL_TO: 'ops@example.com',
      STOCKFLOW_MAIL_FROM: 'stockflow@example.com',
      NODE_OPTIONS: '--openssl-legacy-provider',
      // Airflow's own settings are in the worker's environment too; the DAG must not pass them on.
      AIRFLOW__CORE__FERNET_KEY: 'not-for-steps',
      ...IDENTITY,
    } as Record<string, string> as unknown as NodeJS.ProcessEnv;

    stub = await startAirflowStub('v2', {
      taskIds: dag.tasks.map((task) => task.task_id),
      onTrigger: ({ dagRunId, conf }) => {
        const execution = executeDagRun({
          dag,
          runId: dagRunId,
          conf,
          env: taskEnv,
          onTaskState: (taskId, state, lines, mapIndex) => stub.setTask(dagRunId, taskId, state, lines, mapIndex),
        }).then((result) => {
          stub.runs.get(dagRunId)!.state = result.state;
          return result;
        });
        executions.set(dagRunId, execution);
      },
    });

    const bundle = (await buildLambda(join(work, 'lambda/handler.mjs'))) as string;
    Object.assign(process.env, {
      AIRFLOW_URL: stub.url,
      AIRFLOW_USERNAME: STUB_USER.username,
      AIRFLOW_PASSWORD: STUB_USER.password,
      STOCKFLOW_MONITORED: 's3://monitored',
    });
    ({ handler } = (await import(pathToFileURL(bundle).href)) as { handler: typeof handler });
  });

  after(async () => {
    await product?.stop();
    assert.deepEqual(stub?.violations ?? [], [], "every request and answer matched Airflow's OpenAPI document");
    await stub?.close();
    await smtp?.close();
    await s3?.close();
    await database?.drop();
    await rm(work, { recursive: true, force: true });
  });

  async function deliver(event: unknown): Promise<string> {
    const result = await handler(event);
    assert.equal(result.triggered.length, 1, 'the Lambda triggered one DAG run');
    const runId = result.triggered[0]!;
    const execution = executions.get(runId);
    assert.ok(execution, 'Airflow started the run');
    await execution;
    return runId;
  }

  it('loads the table and mails one Success when a .SUCCESS lands', async () => {
    const runId = await deliver(s3PutEvent('monitored', 'daily/2026-11-25/.SUCCESS', '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', '0055AED6DCD90281E5'));
    const result = await executions.get(runId)!;
    assert.equal(result.state, 'success');
    assert.deepEqual(Object.fromEntries(Object.entries(result.tasks).map(([id, task]) => [id, task.state])), {
      discover: 'success',
      shards: 'success',
      transform: 'success',
      load: 'success',
      notify: 'success',
      fail_run: 'skipped',
    });
    assert.deepEqual(
      smtp.received.map((mail) => mail.subject),
      ['C9_Ada_Lovelace_Pipeline_Success'],
    );
    assert.deepEqual(smtp.received[0]!.to, ['ops@example.com']);

    const run = (await database.pool.query('SELECT status, orchestrator, conf, summary, trigger_kind, triggered_by FROM stockflow.runs WHERE id = $1', [runId])).rows[0];
    assert.equal(run.status, 'success');
    assert.equal(run.orchestrator, 'airflow');
    assert.deepEqual(run.conf.marker, { bucket: 's3://monitored/', key: 'daily/2026-11-25/.SUCCESS', version: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY' });
    assert.deepEqual([run.trigger_kind, run.triggered_by], ['event', 's3://monitored/daily/2026-11-25/.SUCCESS']);
    const rows = (await database.pool.query('SELECT count(*)::int AS n, count(DISTINCT company_name)::int AS companies FROM historical_stocks_data')).rows[0];
    assert.ok(rows.n > 0);
    assert.equal(rows.n, run.summary.rows.loaded);
    const tasks = (await database.pool.query('SELECT step, try_number, status, progress_done, progress_total FROM stockflow.task_runs WHERE run_id = $1 ORDER BY started_at', [runId])).rows;
    assert.deepEqual(
      tasks.map((task) => [task.step, task.try_number, task.status]),
      [
        ['discover', 1, 'success'],
        ['transform', 1, 'success'],
        ['load', 1, 'success'],
        ['notify', 1, 'success'],
      ],
    );
    assert.ok(tasks[1].progress_total > 0 && tasks[1].progress_done === tasks[1].progress_total, 'transform recorded its progress');
    // The same event delivered again (S3 retries) starts nothing.
    assert.deepEqual((await handler(s3PutEvent('monitored', 'daily/2026-11-25/.SUCCESS', '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY', '0055AED6DCD90281E5'))).triggered, []);
  });

  it('mails exactly one Failure for a broken batch, after the retries, and leaves the table as it was', async () => {
    const before = (await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data')).rows[0].n;
    const source = await s3.store('source');
    await source.delete(KEYS.companyList);
    try {
      // The same empty marker uploaded again: a new version, so a new run.
      const runId = await deliver(s3PutEvent('monitored', 'daily/2026-11-25/.SUCCESS', 'Ri.vC6qVlaXgcFmGZVW2PmVX2zPGgpK3', '0055AED6DCD90281F7'));
      const result = await executions.get(runId)!;
      assert.equal(result.state, 'failed', 'Airflow shows the run failed');
      assert.equal(result.tasks.discover!.tries, 3, 'discover was tried 1 + retries times');
      assert.deepEqual(
        [result.tasks.shards!.state, result.tasks.transform!.state, result.tasks.load!.state, result.tasks.notify!.state, result.tasks.fail_run!.state],
        ['upstream_failed', 'upstream_failed', 'upstream_failed', 'success', 'failed'],
      );
      assert.deepEqual(
        smtp.received.map((mail) => mail.subject),
        ['C9_Ada_Lovelace_Pipeline_Success', 'C9_Ada_Lovelace_Pipeline_Failure'],
      );
      const run = (await database.pool.query('SELECT status, error FROM stockflow.runs WHERE id = $1', [runId])).rows[0];
      assert.equal(run.status, 'failed');
      assert.match(run.error, /step discover failed/);
      const tries = (await database.pool.query("SELECT try_number, status FROM stockflow.task_runs WHERE run_id = $1 AND step = 'discover' ORDER BY try_number", [runId])).rows;
      assert.deepEqual(
        tries.map((row) => [row.try_number, row.status]),
        [
          [1, 'up_for_retry'],
          [2, 'up_for_retry'],
          [3, 'failed'],
        ],
      );
      assert.equal((await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data')).rows[0].n, before);
    } finally {
      await seedSynthetic(source, 12, 7);
    }
  });

  it('shows the Airflow run in the control panel: steps, progress and logs', async () => {
    const runId = (await database.pool.query("SELECT id FROM stockflow.runs WHERE status = 'success' ORDER BY seq LIMIT 1")).rows[0].id as string;
    product = await startProduct(
      // STOCKFLOW_MONITORED is the Lambda's setting in this process; the panel watches its own folder.
      { STOCKFLOW_ORCHESTRATOR: 'airflow', AIRFLOW_URL: stub.url, AIRFLOW_USERNAME: STUB_USER.username, AIRFLOW_PASSWORD: STUB_USER.password, STOCKFLOW_MONITORED: '' },
      { database },
    );
    const page = await product.newPage();
    await signIn(page, product.url, 'admin', product.adminPassword);
    await page.goto(`${product.url}/runs`);
    await page.locator('table tbody tr').filter({ hasText: runId }).waitFor();
    await page.goto(`${product.url}/runs/${encodeURIComponent(runId)}`);
    for (const step of ['discover', 'transform', 'load', 'notify']) await page.locator(`.timeline-row[data-step="${step}"][data-status="success"]`).waitFor();
    await page
      .locator('.timeline-row[data-step="transform"]')
      .filter({ hasText: /\d+\/\d+/ })
      .waitFor();
    await page.getByRole('tab', { name: 'notify' }).click();
    await page.getByRole('log', { name: 'notify log' }).filter({ hasText: 'C9_Ada_Lovelace_Pipeline_Success sent via smtp' }).waitFor();
    await page.getByRole('tab', { name: 'load' }).click();
    await page
      .getByRole('log', { name: 'load log' })
      .filter({ hasText: /rows loaded for \d+ companies/ })
      .waitFor();
    await product.screenshot(page, 'airflow-run-detail');
    // A failed run opens on the step that failed, its tries and error on the page.
    const failedId = (await database.pool.query("SELECT id FROM stockflow.runs WHERE status = 'failed' ORDER BY seq LIMIT 1")).rows[0].id as string;
    await page.goto(`${product.url}/runs/${encodeURIComponent(failedId)}`);
    await page.locator('.timeline-row[data-step="discover"][data-status="failed"]').filter({ hasText: 'try 3' }).waitFor();
    assert.equal(await page.getByRole('tab', { name: 'discover' }).getAttribute('aria-selected'), 'true');
    await page
      .getByRole('alert')
      .filter({ hasText: /step discover failed/ })
      .waitFor();
    await page.close();
  });
});
