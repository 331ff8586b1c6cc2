import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { RunRepository } from '../../server/runs/run-repository';
import { waitFor } from '../helpers/runner';
import { startCli, tolerant } from './support/cli-process';
import { type OwnDatabase, ownDatabase, seededFolder } from './support/own-database';

/** Issue #9, item 5: a database outage while `stockflow run` fails must not swallow the failure. */
describe('faults: the database goes away under `stockflow run --json`', () => {
  let database: OwnDatabase;
  let folder: Awaited<ReturnType<typeof seededFolder>>;

  before(async () => {
    [database, folder] = await Promise.all([ownDatabase(), seededFolder(300)]);
  });
  after(async () => {
    await database?.close();
    await folder?.remove();
  });

  it('prints the original error at once and records the failed run when the database is back', { timeout: 60_000 }, async () => {
    const runs = new RunRepository(database.pool);
    const cli = startCli(['run', '--json'], {
      DATABASE_URL: database.url,
      STOCKFLOW_SOURCE: folder.source,
      STOCKFLOW_DATA_DIR: folder.dir,
      STOCKFLOW_CONCURRENCY: '1',
    });
    try {
      const runId = await waitFor(
        'transform to be running',
        async () => {
          const found = await database.pool.query<{ run_id: string }>("SELECT run_id FROM stockflow.task_runs WHERE step = 'transform' AND status = 'running' AND progress_done > 0");
          return found.rows[0]?.run_id;
        },
        30_000,
      );
      await database.server.stopServer();
      try {
        // The summary comes while the database is still down.
        await waitFor(
          'the JSON summary',
          async () => {
            if (cli.stdout.trim() !== '') return true;
            if (!cli.running) throw new Error(`stockflow run exited without a summary\n${cli.stderr}`);
            return false;
          },
          30_000,
        );
        assert.equal(cli.running, true, 'still waiting to record the run');
      } finally {
        await database.server.startServer();
      }
      const summary = JSON.parse(cli.stdout) as { runId: string; status: string; error: { step: string; message: string } | null };
      assert.equal(summary.runId, runId);
      assert.equal(summary.status, 'failed');
      assert.ok(summary.error && ['transform', 'load'].includes(summary.error.step), JSON.stringify(summary.error));
      // The error that failed the step, not a later "cannot connect" from recording it.
      assert.doesNotMatch(summary.error.message, /ECONNREFUSED/);
      assert.equal((await cli.waitForExit(45_000)).code, 1);

      const run = await waitFor(
        'the recorded run',
        tolerant(() => runs.getRun(runId)),
      );
      assert.equal(run.status, 'failed');
      assert.equal(run.error, `step ${summary.error.step} failed: ${summary.error.message}`);
      const tasks = await runs.listTasks(runId);
      assert.ok(
        tasks.every((task) => task.status !== 'running'),
        JSON.stringify(tasks),
      );
      assert.ok(tasks.some((task) => task.step === summary.error!.step && task.status === 'failed'));
      // The failure is mailed too, once the database is back (the outbox is the mail channel here).
      const outbox = await database.pool.query('SELECT subject FROM stockflow.outbox WHERE run_id = $1', [runId]);
      assert.deepEqual(outbox.rows, [{ subject: 'Cohort_Stock_Flow_Pipeline_Failure' }]);
    } finally {
      await cli.kill();
    }
  });
});
