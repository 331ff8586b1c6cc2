import type pg from 'pg';
import { hostname } from 'node:os';
import type { PipelineContext, ProgressEvent } from '../pipeline/context';
import { DATA_STEPS, NOTIFY_STEP, type StepName } from '../pipeline/steps';
import type { Logger } from '../ports/logger';
import type { RunView } from '../ports/orchestrator';
import type { StepResultStore } from '../ports/step-results';
import type { RunRepository } from './run-repository';
import { finishRecordedRun } from './run-outcome';
import { runStepTry, type StepOutcome } from './step-try';

// Only the holder of this lock executes runs: one run at a time across every process.
const RUNNER_LOCK_KEY = 7_391_022_516;

export interface RunnerOptions {
  pool: pg.Pool;
  runs: RunRepository;
  results: StepResultStore;
  /** Builds the pipeline context for one step try. */
  contextFor(runId: string, log: Logger, onProgress: (event: ProgressEvent) => void, signal: AbortSignal): PipelineContext;
  /** Tries after the first one, per step. */
  retries: number;
  /** Wait before retry n is backoffMs * 2^(n-1). */
  backoffMs: number;
  stepTimeoutMs: number;
  pollMs: number;
  log: Logger;
  workerId?: string;
  /** The host page's stop switch (shared through the database). */
  isPausedByOperator?: () => Promise<boolean>;
}

/**
 * The embedded orchestrator's worker: takes queued runs from PostgreSQL one at a time and runs
 * the pipeline's steps with retries, a timeout per step, cancellation, live progress and logs.
 */
export class EmbeddedRunner {
  readonly workerId: string;
  private lockClient: pg.PoolClient | null = null;
  private stopping = false;
  private paused = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private current: AbortController | null = null;

  constructor(private readonly options: RunnerOptions) {
    this.workerId = options.workerId ?? `${hostname()}:${process.pid}`;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /** Starts the loop in the background; resolves once the loop is running. */
  start(): void {
    this.loop ??= this.run().catch((error: unknown) => {
      this.options.log.log('error', `runner stopped: ${error instanceof Error ? error.message : String(error)}`);
    });
  }

  /** Stops taking runs; a run in progress is cancelled and marked failed with the reason. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.current?.abort(new Error(`worker ${this.workerId} is shutting down`));
    this.wake?.();
    await this.loop;
  }

  /** Finishes the current run but takes no new ones until resumed. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.wake?.();
  }

  /** Runs queued runs until none is left (for tests and one-shot use); needs the runner lock. */
  async drain(): Promise<void> {
    if (!(await this.acquireLock())) throw new Error('another worker holds the runner lock');
    try {
      for (let run = await this.options.runs.claimNextQueued(this.workerId); run; run = await this.options.runs.claimNextQueued(this.workerId)) {
        await this.execute(run);
      }
    } finally {
      await this.releaseLock();
    }
  }

  private async acquireLock(): Promise<boolean> {
    const client = await this.options.pool.connect();
    // A checked-out client has no pool error handler: without one, a server shutdown crashes the process.
    client.on('error', (error: Error & { code?: string }) => {
      if (error.code !== '57P01') this.options.log.log('warn', `runner lock connection: ${error.message}`);
    });
    const locked = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [RUNNER_LOCK_KEY]);
    if (!locked.rows[0]?.locked) {
      client.release();
      return false;
    }
    this.lockClient = client;
    // Whoever held the lock before us is gone: its unfinished runs can never finish.
    const orphans = await this.options.runs.failOrphanedRuns('the worker running it stopped (crash or kill) before the run finished');
    for (const id of orphans) this.options.log.log('warn', `run ${id} was left running by a stopped worker: marked failed`);
    return true;
  }

  private async releaseLock(): Promise<void> {
    if (!this.lockClient) return;
    const unlocked = await this.lockClient.query('SELECT pg_advisory_unlock($1)', [RUNNER_LOCK_KEY]).then(() => true, () => false);
    this.lockClient.release(!unlocked);
    this.lockClient = null;
  }

  private async run(): Promise<void> {
    const listener = await this.options.pool.connect();
    listener.on('error', (error: Error & { code?: string }) => {
      if (error.code !== '57P01') this.options.log.log('warn', `runner listen connection: ${error.message}`);
    });
    listener.on('notification', () => this.wake?.());
    await listener.query('LISTEN stockflow_runs');
    try {
      while (!this.stopping) {
        if (!this.lockClient && !(await this.acquireLock())) {
          await this.sleep(this.options.pollMs * 4);
          continue;
        }
        const paused = this.paused || (await this.options.isPausedByOperator?.()) === true;
        const run = paused ? null : await this.options.runs.claimNextQueued(this.workerId);
        if (run) await this.execute(run);
        else await this.sleep(this.options.pollMs);
      }
    } finally {
      await listener.query('UNLISTEN *').catch(() => {});
      listener.release(true);
      await this.releaseLock();
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  private async execute(run: RunView): Promise<void> {
    const { log } = this.options;
    log.log('info', `run ${run.id}: started (${run.trigger.kind} by ${run.trigger.by})`);
    let outcome: StepOutcome = 'success';
    for (const step of DATA_STEPS) {
      const previous = await this.options.results.get(run.id, step);
      if (previous?.status === 'success') continue; // a retried run keeps its successful steps
      outcome = await this.executeStep(run.id, step);
      if (outcome !== 'success') break;
    }
    // A cancelled run is not news; success and failure are mailed.
    if (outcome !== 'cancelled' && !this.stopping) await this.executeStep(run.id, NOTIFY_STEP);
    const { ending } = await finishRecordedRun(this.options.runs, this.options.results, run.id, {
      cancelled: outcome === 'cancelled' && !this.stopping,
      shutdown: this.stopping ? `the worker ${this.workerId} shut down` : undefined,
    });
    log.log(ending.status === 'success' ? 'info' : 'warn', `run ${run.id}: ${ending.status}${ending.error ? ` (${ending.error})` : ''}`);
  }

  /** One step with its tries and a doubling wait between them. */
  private async executeStep(runId: string, step: StepName): Promise<StepOutcome> {
    const { runs, results, retries, backoffMs, stepTimeoutMs } = this.options;
    // Try numbers go on across retries of the run (a retried run's first try of a step may be 4).
    const lastTry = (await runs.nextTryNumber(runId, step)) + retries;
    for (let attempt = 1; ; attempt += 1) {
      const controller = new AbortController();
      this.current = controller;
      let result;
      try {
        result = await runStepTry({
          runs,
          results,
          runId,
          step,
          maxTries: lastTry,
          timeoutMs: stepTimeoutMs,
          echo: this.options.log,
          signal: controller.signal,
          contextFor: (taskLog, onProgress, signal) => this.options.contextFor(runId, taskLog, onProgress, signal),
        });
      } finally {
        this.current = null;
      }
      if (!result.retrying) return result.outcome;
      const delay = backoffMs * 2 ** (attempt - 1);
      this.options.log.log('warn', `run ${runId}: ${step} try ${result.tryNumber} failed; retrying in ${Math.round(delay / 1000)} s`);
      await this.sleep(delay);
      if (this.stopping || (await runs.isCancelRequested(runId))) return 'cancelled';
    }
  }
}

export { RunCancelledError, StepTimeoutError } from './step-try';
