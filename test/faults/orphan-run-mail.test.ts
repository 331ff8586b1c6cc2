import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { OutboxNotifier } from '../../server/adapters/outbox-notifier';
import { PgStepResults } from '../../server/adapters/pg-step-results';
import { SmtpChannel } from '../../server/adapters/smtp-channel';
import { migrate } from '../../server/db/migrate';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { EmbeddedRunner } from '../../server/runs/embedded-runner';
import { RunRepository } from '../../server/runs/run-repository';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { waitFor } from '../helpers/runner';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp';
import { startCli } from './support/cli-process';
import { seededFolder } from './support/own-database';

/** The mail's text without quoted-printable soft line breaks. */
const textOf = (data: string): string => data.replace(/=\r\n/g, '');

/** Issue #9, item 4: the run of a killed worker is failed by the next worker, and that failure is mailed. */
describe('faults: a worker is killed in the middle of a run', () => {
  let database: TestDatabase;
  let smtp: TestSmtp;
  let folder: Awaited<ReturnType<typeof seededFolder>>;

  before(async () => {
    [database, smtp, folder] = await Promise.all([createTestDatabase('faults_orphan'), startTestSmtp(), seededFolder(300)]);
    await migrate(database.pool);
  });
  after(async () => {
    await smtp?.close();
    await database?.drop();
    await folder?.remove();
  });

  it('the next worker marks the run failed and mails the failure once, through the notify step', { timeout: 60_000 }, async () => {
    const runs = new RunRepository(database.pool);
    const { runId } = await new EmbeddedOrchestrator(runs).trigger({ trigger: { kind: 'manual', by: 'faults' } });
    const env = {
      DATABASE_URL: database.url,
      STOCKFLOW_SOURCE: folder.source,
      STOCKFLOW_DATA_DIR: folder.dir,
      STOCKFLOW_CONCURRENCY: '1',
      STOCKFLOW_COHORT: 'C4',
      STOCKFLOW_FIRST_NAME: 'Orphan',
      STOCKFLOW_SURNAME: 'Run',
      SMTP_URL: smtp.url,
      STOCKFLOW_MAIL_TO: 'ops@example.com',
    };
    const killed = startCli(['worker'], env);
    try {
      await waitFor('transform to be running', async () => (await runs.listTasks(runId)).some((task) => task.step === 'transform' && task.status === 'running' && task.progress.done > 0), 30_000);
    } finally {
      await killed.kill();
    }
    assert.equal((await runs.getRun(runId))?.status, 'running');

    const next = startCli(['worker'], env);
    try {
      const mail = await waitFor('the failure mail', async () => smtp.received.find((received) => textOf(received.data).includes(runId)), 30_000);
      assert.equal(mail.subject, 'C4_Orphan_Run_Pipeline_Failure');
      assert.match(textOf(mail.data), /Error in step transform: the worker running it stopped \(crash or kill\)/);
      const run = await waitFor('the run to be failed', async () => {
        const current = await runs.getRun(runId);
        return current?.status === 'failed' ? current : null;
      });
      assert.match(run.error!, /step transform failed: the worker running it stopped \(crash or kill\)/);
      const tasks = await runs.listTasks(runId);
      assert.deepEqual(
        tasks.map((task) => [task.step, task.status]),
        [
          ['discover', 'success'],
          ['transform', 'failed'],
          ['notify', 'success'],
        ],
      );
      next.child.kill('SIGTERM');
      assert.equal((await next.waitForExit()).code, 0);
    } finally {
      await next.kill();
    }

    // Another takeover finds nothing left to mail: one failure, one mail.
    const channel = new SmtpChannel({ url: smtp.url, from: 'stockflow@example.com', to: ['ops@example.com'] });
    const source = new FolderObjectStore(folder.source);
    await new EmbeddedRunner({
      pool: database.pool,
      runs,
      results: new PgStepResults(database.pool),
      contextFor: (id, log, onProgress, signal) => ({ ...pipelineContext(database.pool, source, id), notifier: new OutboxNotifier(database.pool, channel), log, onProgress, signal }),
      retries: 0,
      backoffMs: 20,
      stepTimeoutMs: 60_000,
      pollMs: 50,
      log: { log: () => {} },
    }).drain();
    channel.close();
    assert.equal(smtp.received.filter((received) => textOf(received.data).includes(runId)).length, 1);
    const outbox = await database.pool.query('SELECT status FROM stockflow.outbox WHERE run_id = $1', [runId]);
    assert.deepEqual(outbox.rows, [{ status: 'sent' }]);
  });
});
