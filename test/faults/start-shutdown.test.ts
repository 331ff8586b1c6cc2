import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';

import type pg from 'pg';

import { embeddedDatabaseUrl, startEmbeddedPostgres } from '../../server/db/embedded-postgres';
import { createPool } from '../../server/db/pool';
import { EmbeddedOrchestrator } from '../../server/runs/embedded-orchestrator';
import { RunRepository } from '../../server/runs/run-repository';
import { waitFor } from '../helpers/runner';
import { freePort } from '../helpers/tls-postgres';
import { type CliProcess, startCli, tolerant } from './support/cli-process';
import { seededFolder } from './support/own-database';

/**
 * Issue #9, items 3 and 6: `stockflow start` (embedded PostgreSQL) stopped by SIGTERM or by Ctrl-C
 * records the run it was executing before its database stops, prints no stack trace, and a second
 * start while one runs says so and leaves.
 */
describe('faults: stopping `stockflow start` during a run', () => {
  let folder: Awaited<ReturnType<typeof seededFolder>>;
  let env: Record<string, string>;

  before(async () => {
    folder = await seededFolder(300);
    const port = await freePort(55600 + Math.floor(Math.random() * 300));
    env = { STOCKFLOW_DATA_DIR: folder.dir, STOCKFLOW_EMBEDDED_PG_PORT: String(port), STOCKFLOW_SOURCE: folder.source, STOCKFLOW_CONCURRENCY: '1' };
  });
  after(async () => {
    // A cluster left behind by a failed test must not outlive it.
    const pidFile = join(folder.dir, 'postgres', 'postmaster.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
      try {
        process.kill(pid, 'SIGQUIT');
      } catch {
        // Gone already.
      }
      await waitFor('the left-behind cluster to stop', async () => !existsSync(pidFile)).catch(() => {});
    }
    await folder?.remove();
  });

  /** The run whose transform is running, polled through a pool of the test's own (closed afterwards). */
  async function transformingRun(start: CliProcess, queue: (pool: pg.Pool) => Promise<void> = async () => {}): Promise<string> {
    // The app role's password is written by the start, beside the cluster.
    const url = await waitFor('the embedded credentials', async () => embeddedDatabaseUrl(folder.dir, Number(env.STOCKFLOW_EMBEDDED_PG_PORT)), 60_000);
    const pool = createPool(url);
    try {
      await waitFor(
        'the database to answer',
        tolerant(async () => (await pool.query('SELECT 1 FROM stockflow.runs LIMIT 1')) !== null),
        60_000,
      );
      await queue(pool);
      return await waitFor(
        'a run to be transforming',
        async () => {
          if (!start.running) throw new Error(`stockflow start exited\n${start.stderr}`);
          const found = await pool.query<{ run_id: string }>("SELECT run_id FROM stockflow.task_runs WHERE step = 'transform' AND status = 'running' AND progress_done > 0").catch(() => null);
          return found?.rows[0]?.run_id;
        },
        60_000,
      );
    } finally {
      await pool.end();
    }
  }

  const up = (start: CliProcess) =>
    waitFor(
      'the product to be up',
      async () => {
        if (!start.running) throw new Error(`stockflow start exited\n${start.stderr}`);
        return /Ctrl-C stops everything/.test(start.stdout);
      },
      30_000,
    );

  /** After the product stopped: its database is down; start it from here to read what was recorded. */
  async function recordedRun(runId: string): Promise<{ status: string; error: string | null; running: number }> {
    assert.equal(existsSync(join(folder.dir, 'postgres', 'postmaster.pid')), false, 'embedded PostgreSQL stopped with the product');
    const database = await startEmbeddedPostgres({ dataDir: folder.dir, port: Number(env.STOCKFLOW_EMBEDDED_PG_PORT) });
    const pool = createPool(database.url);
    try {
      const run = await new RunRepository(pool).getRun(runId);
      const running = await pool.query<{ n: number }>("SELECT count(*)::int AS n FROM stockflow.task_runs WHERE run_id = $1 AND status = 'running'", [runId]);
      return { status: run!.status, error: run!.error, running: running.rows[0]!.n };
    } finally {
      await pool.end();
      await database.stop();
    }
  }

  it('SIGTERM: the step is failed and recorded, then embedded PostgreSQL stops', { timeout: 90_000 }, async () => {
    // The first start queues a run on the (seeded) data by itself.
    const start = startCli(['start', '--no-web'], env);
    try {
      const runId = await transformingRun(start);
      start.child.kill('SIGTERM');
      const exit = await start.waitForExit(30_000);
      assert.equal(exit.code, 0, start.stderr);
      const run = await recordedRun(runId);
      assert.equal(run.status, 'failed');
      assert.match(run.error ?? '', /shut down during step (transform|load)/);
      assert.equal(run.running, 0, 'no try is left running');
    } finally {
      await start.kill();
    }
  });

  it('a second start says one is running and leaves; Ctrl-C then stops the first cleanly', { timeout: 60_000 }, async () => {
    // Its own process group, so Ctrl-C can reach it the way a terminal sends it: to the whole group.
    const start = startCli(['start', '--no-web'], env, { groupLeader: true });
    try {
      await up(start);
      const second = startCli(['start', '--no-web'], env);
      const refused = await second.waitForExit(20_000);
      assert.equal(refused.code, 1, second.stderr);
      assert.match(second.stderr, /stockflow start: already running \(pid \d+, data in /);
      assert.equal(start.running, true, 'the first start is untouched');

      const runId = await transformingRun(start, async (pool) => {
        await new EmbeddedOrchestrator(new RunRepository(pool)).trigger({ trigger: { kind: 'manual', by: 'faults' } });
      });
      process.kill(-start.child.pid!, 'SIGINT');
      const exit = await start.waitForExit(30_000);
      assert.equal(exit.code, 0, start.stderr);
      assert.doesNotMatch(start.stderr, /database system is shutting down/);
      assert.doesNotMatch(start.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
      const run = await recordedRun(runId);
      assert.equal(run.status, 'failed');
      assert.match(run.error ?? '', /shut down during step (transform|load)/);
      assert.equal(run.running, 0);
    } finally {
      if (start.running) process.kill(-start.child.pid!, 'SIGKILL');
      await start.kill();
    }
  });

  it('SIGKILL leaves embedded PostgreSQL running; the next start takes it over and stops it', { timeout: 60_000 }, async () => {
    const pidFile = join(folder.dir, 'postgres', 'postmaster.pid');
    const killed = startCli(['start', '--no-web'], env);
    await up(killed);
    await killed.kill();
    assert.equal(existsSync(pidFile), true, 'the server outlives a SIGKILLed start (a session of its own)');
    const next = startCli(['start', '--no-web'], env);
    try {
      await up(next);
      next.child.kill('SIGTERM');
      assert.equal((await next.waitForExit(30_000)).code, 0, next.stderr);
      assert.equal(existsSync(pidFile), false, 'the start that took it over stopped it');
    } finally {
      await next.kill();
    }
  });
});
