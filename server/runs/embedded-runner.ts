import type pg from 'pg';
import { hostname } from 'node:os';
import type { PipelineContext, ProgressEvent } from '../pipeline/context';
import { runStep, STEP_NAMES, type StepName } from '../pipeline/steps';
import { summarizeRun } from '../pipeline/summary';
import type { Logger } from '../ports/logger';
import type { RunView } from '../ports/orchestrator';
import type { StepResultStore } from '../ports/step-results';
import type { RunRepository } from './run-repository';
import { TaskLogWriter } from './task-log-writer';

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

type StepOutcome = 'success' | 'failed' | 'cancelled';

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
    const { runs, log } = this.options;
    log.log('info', `run ${run.id}: started (${run.trigger.kind} by ${run.trigger.by})`);
    let outcome: StepOutcome = 'success';
    let failedStep: StepName | null = null;
    let failure: string | null = null;
    for (const step of STEP_NAMES) {
      if (step === 'notify') break;
      const previous = await this.options.results.get(run.id, step);
      if (previous?.status === 'success') continue; // a retried run keeps its successful steps
      ({ outcome, error: failure } = await this.executeStep(run.id, step));
      if (outcome !== 'success') {
        failedStep = step;
        break;
      }
    }
    // A cancelled run is not news; success and failure are mailed.
    if (outcome !== 'cancelled' && !this.stopping) await this.executeStep(run.id, 'notify');
    const summary = summarizeRun(run.id, await this.options.results.list(run.id));
    const status = this.stopping && outcome !== 'success' ? 'failed' : outcome === 'success' ? 'success' : outcome === 'cancelled' ? 'cancelled' : 'failed';
    const error =
      status === 'success'
        ? null
        : this.stopping
          ? `the worker ${this.workerId} shut down during step ${failedStep}`
          : outcome === 'cancelled'
            ? `cancelled during step ${failedStep}`
            : `step ${failedStep} failed: ${failure ?? summary.error?.message ?? 'unknown error'}`;
    await runs.finishRun(run.id, status, summary, error);
    log.log(status === 'success' ? 'info' : 'warn', `run ${run.id}: ${status}${error ? ` (${error})` : ''}`);
  }

  /** One step with its tries; each try gets a fresh task run, log and timeout. */
  private async executeStep(runId: string, step: StepName): Promise<{ outcome: StepOutcome; error: string | null }> {
    const { runs, retries, backoffMs, stepTimeoutMs } = this.options;
    const maxTries = 1 + retries;
    for (let attempt = 1; attempt <= maxTries; attempt += 1) {
      const tryNumber = await runs.nextTryNumber(runId, step);
      await runs.startTask(runId, step, tryNumber);
      const logs = new TaskLogWriter(runs, runId, step, tryNumber, this.options.log);
      const controller = new AbortController();
      this.current = controller;
      const timeout = setTimeout(() => controller.abort(new StepTimeoutError(step, stepTimeoutMs)), stepTimeoutMs);
      const cancelWatch = setInterval(() => {
        void runs.isCancelRequested(runId).then((requested) => {
          if (requested) controller.abort(new RunCancelledError());
        });
      }, 500);
      let lastProgress = 0;
      const onProgress = (event: ProgressEvent): void => {
        const now = Date.now();
        if (now - lastProgress < 300 && event.done < event.total) return;
        lastProgress = now;
        void runs.updateProgress(runId, step, tryNumber, { done: event.done, total: event.total, rows: event.rows }).catch(() => {});
      };
      const aborted = new Promise<never>((_, reject) => {
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true });
      });
      aborted.catch(() => {});
      try {
        logs.log('info', `${step}: attempt ${attempt} of ${maxTries} (try ${tryNumber}) started`);
        await Promise.race([runStep(this.options.contextFor(runId, logs, onProgress, controller.signal), step), aborted]);
        logs.log('info', `${step}: done`);
        await logs.close();
        await runs.finishTask(runId, step, tryNumber, 'success', null);
        return { outcome: 'success', error: null };
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        const cancelled = error instanceof RunCancelledError || this.stopping;
        const retrying = !cancelled && attempt < maxTries;
        logs.log('error', `${step}: ${message}`);
        if (retrying) logs.log('warn', `${step}: retrying in ${Math.round((backoffMs * 2 ** (attempt - 1)) / 1000)} s`);
        await logs.close();
        await runs.finishTask(runId, step, tryNumber, cancelled ? 'cancelled' : retrying ? 'up_for_retry' : 'failed', message);
        if (controller.signal.aborted) {
          // The step lost the race to its timeout or a cancel: record its failure now, whatever it
          // still does in the background (it stops at its next file).
          const now = new Date().toISOString();
          await this.options.results.save({ runId, step, status: 'failed', startedAt: now, finishedAt: now, result: null, error: message });
        }
        if (cancelled) return { outcome: 'cancelled', error: message };
        if (!retrying) return { outcome: 'failed', error: message };
        await this.sleep(backoffMs * 2 ** (attempt - 1));
        if (this.stopping || (await runs.isCancelRequested(runId))) return { outcome: 'cancelled', error: message };
      } finally {
        clearTimeout(timeout);
        clearInterval(cancelWatch);
        this.current = null;
      }
    }
    return { outcome: 'failed', error: null };
  }
}

export class StepTimeoutError extends Error {
  constructor(step: string, ms: number) {
    super(`${step} timed out after ${Math.round(ms / 1000)} s`);
    this.name = 'StepTimeoutError';
  }
}

export class RunCancelledError extends Error {
  constructor() {
    super('cancelled by an operator');
    this.name = 'RunCancelledError';
  }
}
