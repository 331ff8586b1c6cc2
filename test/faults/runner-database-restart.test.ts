import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { waitFor } from '../helpers/runner';
import { startCli, tolerant } from './support/cli-process';
import { type OwnDatabase, ownDatabase, seededFolder } from './support/own-database';

/** Issue #9, item 1: a database restart must not end the worker, nor leave its run `running`. */
describe('faults: the database restarts under a working `stockflow worker`', () => {
  let database: OwnDatabase;
  let folder: Awaited<ReturnType<typeof seededFolder>>;

  before(async () => {
    [database, folder] = await Promise.all([ownDatabase(), seededFolder(300)]);
  });
  after(async () => {
    await database?.close();
    await folder?.remove();
  });

  it('reconnects, retries the interrupted step without spending a retry, and keeps serving', { timeout: 60_000 }, async () => {
    const runs = new RunRepository(database.pool);
    const orchestrator = new EmbeddedOrchestrator(runs);
    const finished = (runId: string) =>
      waitFor(
        `run ${runId} to finish`,
        tolerant(async () => {
          const run = await runs.getRun(runId);
          return run && ['success', 'failed', 'cancelled'].includes(run.status) ? run : null;
        }),
        45_000,
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n--- worker stderr ---\n${worker.stderr}`);
      });
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
    // No retries: only an interruption may run a step again.
    const worker = startCli(['worker'], {
      DATABASE_URL: database.url,
      STOCKFLOW_SOURCE: folder.source,
      STOCKFLOW_DATA_DIR: folder.dir,
      STOCKFLOW_CONCURRENCY: '1',
      STOCKFLOW_STEP_RETRIES: '0',
    });
    try {
      await waitFor(
        'transform to be running',
        tolerant(async () => (await runs.listTasks(runId)).some((task) => task.step === 'transform' && task.status === 'running' && task.progress.done > 0)),
        30_000,
      );
      await database.server.restartServer();

      const run = await finished(runId);
      assert.equal(run.status, 'success', `${run.error}\n--- worker stderr ---\n${worker.stderr}`);
      const tries = await database.pool.query<{ step: string; try_number: number; status: string; error: string | null }>(
        'SELECT step, try_number, status, error FROM stockflow.task_runs WHERE run_id = $1 ORDER BY started_at',
        [runId],
      );
      const interrupted = tries.rows.filter((task) => task.status === 'up_for_retry');
      assert.ok(interrupted.length >= 1, `an interrupted try is recorded: ${JSON.stringify(tries.rows)}`);
      for (const task of interrupted) {
        assert.ok(
          tries.rows.some((later) => later.step === task.step && later.try_number > task.try_number && later.status === 'success'),
          `${task.step} was tried again and succeeded`,
        );
        assert.ok(task.error, 'the interrupted try says why');
      }
      assert.ok(tries.rows.every((task) => task.status !== 'running'));
      assert.equal(worker.running, true, `the worker is still running\n${worker.stderr}`);

      // Still serving, also after a restart while idle: the next run is taken without restarting the worker.
      await database.server.restartServer();
      const next = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
      assert.equal((await finished(next.runId)).status, 'success', worker.stderr);
      assert.equal(worker.running, true);
    } finally {
      await worker.kill();
    }
  });
});
