import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';

import { FolderObjectStore } from '../../server/adapters/folder-object-store';
import { migrate } from '../../server/db/migrate';
import { KEYS } from '../../server/pipeline/context';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { seedSynthetic } from '../../server/seed/synthetic';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres';
import { slowStore, testRunner, waitFor } from '../helpers/runner';

describe('the embedded runner', () => {
  let database: TestDatabase;
  let folder: string;
  let store: FolderObjectStore;
  let orchestrator: EmbeddedOrchestrator;
  let runs: RunRepository;

  before(async () => {
    database = await createTestDatabase('runner');
    await migrate(database.pool);
    folder = await mkdtemp(join(tmpdir(), 'stockflow-runner-'));
    store = new FolderObjectStore(join(folder, 'source'));
    await seedSynthetic(store, 40);
    runs = new RunRepository(database.pool);
    orchestrator = new EmbeddedOrchestrator(runs);
  });
  after(async () => {
    await database?.drop();
    await rm(folder, { recursive: true, force: true });
  });

  it('runs queued runs one at a time, in order, recording every step', async () => {
    const first = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    const second = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'bob' }, conf: { note: 'second' } });
    assert.equal((await orchestrator.getRun(second.runId))?.status, 'queued');
    const told: string[] = [];
    await testRunner(database.pool, store, { afterRun: (runId) => told.push(runId) }).drain();
    assert.deepEqual(told, [first.runId, second.runId], 'afterRun hears of each run once it is over');
    const [a, b] = [await orchestrator.getRun(first.runId), await orchestrator.getRun(second.runId)];
    assert.equal(a?.status, 'success');
    assert.equal(b?.status, 'success');
    assert.ok(Date.parse(b!.startedAt!) >= Date.parse(a!.finishedAt!), 'the second run waits for the first');
    const tasks = await orchestrator.listTasks(first.runId);
    assert.deepEqual(
      tasks.map((task) => [task.step, task.status, task.tryNumber]),
      [
        ['discover', 'success', 1],
        ['transform', 'success', 1],
        ['load', 'success', 1],
        ['notify', 'success', 1],
      ],
    );
    assert.equal(tasks[1]!.progress.done, tasks[1]!.progress.total);
    // The load reports the rows it copied, and what it does after them (the first load is a bulk one).
    const loaded = (a!.summary as { rows: { loaded: number } }).rows.loaded;
    assert.deepEqual(tasks[2]!.progress, { done: loaded, total: loaded, rows: loaded });
    const loadLog = await orchestrator.readLog(first.runId, 'load', {});
    assert.ok(
      loadLog.lines.some((line) => /load: building \d+ keys and \d+ indexes/.test(line.message)),
      'the load says it builds the indexes',
    );
    assert.equal((a!.summary as { rows: { loaded: number } }).rows.loaded > 0, true);
    assert.equal((await orchestrator.trigger({ runId: first.runId, trigger: { kind: 'manual', by: 'ada' } })).created, false);
    const today = new Date().toISOString().slice(0, 10);
    assert.equal((await orchestrator.listRuns({ limit: 10, from: today, to: today })).runs.length, 2);
    assert.equal((await orchestrator.listRuns({ limit: 10, from: '2999-01-01' })).runs.length, 0);
    const paged = await orchestrator.listRuns({ limit: 1 });
    const older = await orchestrator.listRuns({ limit: 1, before: paged.nextCursor });
    assert.deepEqual([paged.runs[0]!.id, older.runs[0]!.id], [second.runId, first.runId]);
    assert.match((await orchestrator.health()).detail, /idle; 0 queued/);
  });

  it('runs the shards a run asks for one after another, and the run merges them', async () => {
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' }, conf: { shards: 2 } });
    await testRunner(database.pool, store).drain();
    const run = await orchestrator.getRun(runId);
    assert.equal(run?.status, 'success');
    const tasks = await orchestrator.listTasks(runId);
    assert.deepEqual(tasks.map((task) => `${task.step}:${task.status}`).sort(), [
      'discover:success',
      'load[1/2]:success',
      'load[2/2]:success',
      'notify:success',
      'transform[1/2]:success',
      'transform[2/2]:success',
    ]);
    // The batch is the whole table again, which a load rebuilds: shard 1's load took both parts
    // (it could, as every transform ran before any load).
    const handed = await orchestrator.readLog(runId, 'load[2/2]', {});
    assert.ok(
      handed.lines.some((line) => /rows go into shard 1\/2's load/.test(line.message)),
      'shard 2 leaves its rows to shard 1',
    );
    // The same files again: every row is there already, unchanged, whichever shard loaded it.
    const summary = run!.summary as { rows: { loaded: number }; changes: { totals: { added: number; unchanged: number } } };
    const count = await database.pool.query('SELECT count(*)::int AS n FROM historical_stocks_data');
    assert.equal(summary.rows.loaded, count.rows[0].n);
    assert.deepEqual([summary.changes.totals.added, summary.changes.totals.unchanged], [0, count.rows[0].n]);
  });

  it('makes a step log readable while the step is still running, with a cursor', async () => {
    const slow = slowStore(store, (key) => key.startsWith(KEYS.stocksPrefix), 150);
    const runner = testRunner(database.pool, slow);
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    runner.start();
    try {
      const page = await waitFor('transform log lines while it runs', async () => {
        const tasks = await orchestrator.listTasks(runId);
        const transform = tasks.find((task) => task.step === 'transform');
        if (transform?.status !== 'running') return null;
        const read = await orchestrator.readLog(runId, 'transform', {});
        return read.lines.length > 0 ? read : null;
      });
      assert.equal(page.complete, false);
      assert.match(page.lines[0]!.message, /transform: try 1 of 3 started/);
      await waitFor('run end', async () => ['success', 'failed'].includes((await orchestrator.getRun(runId))!.status));
      const rest = await orchestrator.readLog(runId, 'transform', { after: page.cursor });
      assert.ok(rest.lines.every((line) => BigInt(line.id) > BigInt(page.cursor!)));
      assert.ok(rest.lines.some((line) => /transform: \d+ files/.test(line.message)));
      assert.equal(rest.complete, true);
    } finally {
      await runner.stop();
    }
  });

  it('retries a failing step, then fails the run with its error logged and a failure mail in the outbox', async () => {
    const empty = new FolderObjectStore(join(folder, 'empty'));
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    await testRunner(database.pool, empty, { retries: 2 }).drain();
    const run = await orchestrator.getRun(runId);
    assert.equal(run?.status, 'failed');
    assert.match(run!.error!, /step discover failed: Company list/);
    const tries = await runs.listTaskTries(runId, 'discover');
    assert.deepEqual(
      tries.map((task) => task.status),
      ['up_for_retry', 'up_for_retry', 'failed'],
    );
    const log = await orchestrator.readLog(runId, 'discover', { tryNumber: 3 });
    assert.ok(log.lines.some((line) => line.level === 'error' && /Company list CompanyNames\/top_companies.txt not found/.test(line.message)));
    assert.deepEqual(
      (await orchestrator.listTasks(runId)).map((task) => task.step),
      ['discover', 'notify'],
    );
    const outbox = await database.pool.query('SELECT subject FROM stockflow.outbox WHERE run_id = $1', [runId]);
    assert.equal(outbox.rows[0].subject, 'C9_Test_Runner_Pipeline_Failure');
  });

  it('retries a failed run from its failed step once the cause is fixed', async () => {
    const fixable = new FolderObjectStore(join(folder, 'fixable'));
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    await testRunner(database.pool, fixable, { retries: 0 }).drain();
    assert.equal((await orchestrator.getRun(runId))?.status, 'failed');
    await seedSynthetic(fixable, 5);
    await orchestrator.retry(runId);
    await assert.rejects(orchestrator.retry(runId), /Only a failed or cancelled run can be retried/);
    await testRunner(database.pool, fixable, { retries: 0 }).drain();
    assert.equal((await orchestrator.getRun(runId))?.status, 'success');
    assert.deepEqual(
      (await runs.listTaskTries(runId, 'discover')).map((task) => task.status),
      ['failed', 'success'],
    );
  });

  it('cancels a queued run at once and a running one at its next file', async () => {
    const queued = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    await orchestrator.cancel(queued.runId);
    assert.equal((await orchestrator.getRun(queued.runId))?.status, 'cancelled');

    const slow = slowStore(store, (key) => key.startsWith(KEYS.stocksPrefix), 200);
    const runner = testRunner(database.pool, slow);
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    runner.start();
    try {
      await waitFor('transform running', async () => (await orchestrator.listTasks(runId)).some((task) => task.step === 'transform' && task.status === 'running'));
      await orchestrator.cancel(runId);
      const run = await waitFor('cancelled', async () => {
        const current = await orchestrator.getRun(runId);
        return current?.status === 'cancelled' ? current : null;
      });
      assert.match(run.error!, /cancelled during step transform/);
      const outbox = await database.pool.query('SELECT 1 FROM stockflow.outbox WHERE run_id = $1', [runId]);
      assert.equal(outbox.rowCount, 0);
    } finally {
      await runner.stop();
    }
  });

  it('marks a run failed, never stuck in running, when its worker is killed', { timeout: 60_000 }, async () => {
    const big = join(folder, 'big');
    await seedSynthetic(new FolderObjectStore(big), 300);
    const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
    const worker = spawn(process.execPath, [resolve('bin/stockflow.js'), 'worker'], {
      env: { ...process.env, DATABASE_URL: database.url, STOCKFLOW_SOURCE: big, STOCKFLOW_DATA_DIR: folder, STOCKFLOW_CONCURRENCY: '1' } as NodeJS.ProcessEnv,
      stdio: 'ignore',
    });
    try {
      await waitFor('the worker to be transforming', async () => (await orchestrator.listTasks(runId)).some((task) => task.step === 'transform' && task.status === 'running'), 30_000);
    } finally {
      worker.kill('SIGKILL');
    }
    await new Promise((resolveExit) => worker.once('exit', resolveExit));
    assert.equal((await orchestrator.getRun(runId))?.status, 'running');
    // The next worker to start takes over and settles the orphan.
    await waitFor('the runner lock to be free', async () => {
      const free = await database.pool.query("SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())");
      return free.rows[0].n === 0;
    });
    await testRunner(database.pool, store).drain();
    const run = await orchestrator.getRun(runId);
    assert.equal(run?.status, 'failed');
    assert.match(run!.error!, /stopped \(crash or kill\)/);
    assert.ok((await orchestrator.listTasks(runId)).every((task) => task.status !== 'running'));
  });
});

describe('the embedded runner, step timeout', () => {
  it('fails a step that runs past its timeout, after its retries', async () => {
    const database = await createTestDatabase('timeout');
    const folder = await mkdtemp(join(tmpdir(), 'stockflow-timeout-'));
    try {
      await migrate(database.pool);
      const store = new FolderObjectStore(join(folder, 'source'));
      await seedSynthetic(store, 3);
      const orchestrator = new EmbeddedOrchestrator(new RunRepository(database.pool));
      const { runId } = await orchestrator.trigger({ trigger: { kind: 'manual', by: 'ada' } });
      const slow = slowStore(store, (key) => key.startsWith(KEYS.stocksPrefix), 2_000);
      await testRunner(database.pool, slow, { retries: 1, stepTimeoutMs: 1000 }).drain();
      const run = await orchestrator.getRun(runId);
      assert.equal(run?.status, 'failed');
      assert.match(run!.error!, /step transform failed: transform timed out after 1 s/);
      const tries = await new RunRepository(database.pool).listTaskTries(runId, 'transform');
      assert.deepEqual(
        tries.map((task) => task.status),
        ['up_for_retry', 'failed'],
      );
    } finally {
      await database.drop();
      await rm(folder, { recursive: true, force: true });
    }
  });
});
