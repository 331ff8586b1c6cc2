import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type pg from 'pg';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { PgStepResults } from '../../server/adapters/pg-step-results';
import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import type { ObjectStore } from '../../server/ports/object-store';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { EmbeddedRunner } from '../../server/runs/embedded-runner';
import { RunRepository } from '../../server/runs/run-repository';
import { RUNNER_LOCK_KEY } from '../../server/runs/runner-lock';
import { seedSynthetic } from '../../server/seed/synthetic';
import { pipelineContext } from '../helpers/pipeline';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { slowStore, waitFor } from '../helpers/runner';

interface TimedLog {
  at: number;
  level: string;
  message: string;
}

function worker(pool: pg.Pool, store: ObjectStore, workerId: string, logs: TimedLog[]): EmbeddedRunner {
  return new EmbeddedRunner({
    pool,
    runs: new RunRepository(pool),
    results: new PgStepResults(pool),
    contextFor: (runId, log, onProgress, signal) => ({ ...pipelineContext(pool, store, runId), log, onProgress, signal }),
    // No retries: only an interruption may run a step again.
    retries: 0,
    backoffMs: 20,
    stepTimeoutMs: 60_000,
    pollMs: 50,
    workerId,
    log: { log: (level, message) => logs.push({ at: Date.now(), level, message }) },
  });
}

/** The backend holding the runner's advisory lock (key 7391022516 = classid 1, objid 3096055220) in this database. */
async function lockHolder(pool: pg.Pool): Promise<number | null> {
  const found = await pool.query<{ pid: number }>(
    `SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = 1 AND objid = 3096055220 AND objsubid = 1
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
  );
  return found.rows[0]?.pid ?? null;
}

/** Issue #9, item 2: a worker that loses its advisory-lock session must stop; at most one run executes. */
describe('faults: the runner loses its lock connection', () => {
  let database: TestDatabase;
  let folder: string;
  let store: ObjectStore;
  let runs: RunRepository;
  let orchestrator: EmbeddedOrchestrator;

  before(async () => {
    database = await createTestDatabase('faults_lock');
    await migrate(database.pool);
    folder = await mkdtemp(join(tmpdir(), 'stockflow-lock-'));
    const source = new FolderObjectStore(join(folder, 'source'));
    await seedSynthetic(source, 40);
    // Each stock file takes 100 ms: transform runs for about a second.
    store = slowStore(source, (key) => key.startsWith(KEYS.stocksPrefix), 100);
    runs = new RunRepository(database.pool);
    orchestrator = new EmbeddedOrchestrator(runs);
  });
  after(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  const transformRunning = (runId: string) =>
    waitFor(`run ${runId}'s transform to be running`, async () => (await runs.listTasks(runId)).some((task) => task.step === 'transform' && task.status === 'running' && task.progress.done > 0));
  const finished = (runId: string) =>
    waitFor(`run ${runId} to finish`, async () => {
      const run = await runs.getRun(runId);
      return run && ['success', 'failed', 'cancelled'].includes(run.status) ? run : null;
    });

  it('aborts the step, takes the lock back and runs the step again when no one else took it', { timeout: 60_000 }, async () => {
    const logs: TimedLog[] = [];
    const alone = worker(database.pool, store, 'worker-alone', logs);
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
    alone.start();
    try {
      await transformRunning(runId);
      const holder = await lockHolder(database.pool);
      assert.ok(holder, 'the worker holds the runner lock');
      await database.pool.query('SELECT pg_terminate_backend($1)', [holder]);

      const run = await finished(runId);
      assert.equal(run.status, 'success', run.error ?? '');
      const tries = await runs.listTaskTries(runId, 'transform');
      assert.deepEqual(
        tries.map((task) => task.status),
        ['up_for_retry', 'success'],
      );
      assert.match(tries[0]!.error ?? '', /runner lock/);
      const again = await waitFor('the lock to be held again', async () => lockHolder(database.pool));
      assert.notEqual(again, holder);
    } finally {
      await alone.stop();
    }
  });

  it('never lets two workers execute at once: the one that lost the lock stops, the other takes over', { timeout: 60_000 }, async () => {
    const logsA: TimedLog[] = [];
    const logsB: TimedLog[] = [];
    const a = worker(database.pool, store, 'worker-A', logsA);
    const b = worker(database.pool, store, 'worker-B', logsB);
    const first = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
    a.start();
    try {
      await transformRunning(first.runId);
      const lostAt = Date.now();
      const holder = await lockHolder(database.pool);
      assert.ok(holder, 'A holds the runner lock');
      // The test queues for the lock as A's session dies, so the lock passes to it, not back to A
      // (A could otherwise legitimately take it again before B asks, and there would be no handover);
      // A must start nothing while it has no lock.
      const bridge = await database.pool.connect();
      try {
        const queued = bridge.query('SELECT pg_advisory_lock($1)', [RUNNER_LOCK_KEY]);
        await database.pool.query('SELECT pg_terminate_backend($1)', [holder]);
        await queued;
        await waitFor('A to notice it lost the lock', async () => logsA.some((line) => /lost the runner lock/.test(line.message)), 30_000);
        // A, lockless all along, is stopped before the lock is free again: the handover goes to B.
        await a.stop();
        b.start();
        await bridge.query('SELECT pg_advisory_unlock($1)', [RUNNER_LOCK_KEY]);
      } finally {
        bridge.release();
      }
      const second = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
      const third = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'faults' } });
      assert.equal((await finished(second.runId)).status, 'success');
      assert.equal((await finished(third.runId)).status, 'success');

      // A started nothing once its lock was gone: no step try, no claim.
      const startedByA = logsA.filter((line) => line.at >= lostAt && /try \d+ of \d+ started/.test(line.message));
      assert.deepEqual(
        startedByA.map((line) => line.message),
        [],
      );
      const owners = await database.pool.query<{ id: string; worker_id: string }>('SELECT id, worker_id FROM stockflow.runs WHERE id = ANY($1)', [[second.runId, third.runId]]);
      assert.deepEqual(
        owners.rows.map((row) => row.worker_id),
        ['worker-B', 'worker-B'],
      );
      // B settled the run A was executing as an orphan, after A's try had ended.
      const orphan = await finished(first.runId);
      assert.equal(orphan.status, 'failed');
      const aTry = (await runs.listTaskTries(first.runId, 'transform'))[0]!;
      const bFirst = (await runs.listTaskTries(second.runId, 'discover'))[0]!;
      assert.ok(aTry.finishedAt && Date.parse(aTry.finishedAt) <= Date.parse(bFirst.startedAt!), `A's try ended (${aTry.finishedAt}) before B started (${bFirst.startedAt})`);
      assert.ok(logsA.some((line) => /lost the runner lock/.test(line.message)));
    } finally {
      await b.stop();
      await a.stop();
    }
  });
});
