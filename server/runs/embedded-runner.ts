import { hostname } from 'node:os';

import type pg from 'pg';

import type { PipelineContext, ProgressEvent } from '../pipeline/context';
import type { DiscoveryResult } from '../pipeline/discover';
import { allShards, parseStepKey, type Shard } from '../pipeline/shard';
import { DATA_STEPS, NOTIFY_STEP, SHARDED_STEPS, stepKeyOf, type StepName } from '../pipeline/steps';
import type { Logger } from '../ports/logger';
import type { RunView } from '../ports/orchestrator';
import type { StepResultStore } from '../ports/step-results';
import { backoffDelay, isDatabaseUnavailable, isOutageMessage } from './outage';
import { pipelineOptionsOfConf } from './run-conf';
import { finishRecordedRun } from './run-outcome';
import type { RunRepository } from './run-repository';
import { LockLostError, RunnerLock } from './runner-lock';
import { runStepTry, type StepOutcome, type StepTryResult } from './step-try';

const ORPHAN_REASON = 'the worker running it stopped (crash or kill) before the run finished';
// A step cut short this often (outages, lost locks) is not retried for that reason again.
const MAX_INTERRUPTIONS = 3;

export interface RunnerOptions {
  pool: pg.Pool;
  runs: RunRepository;
  results: StepResultStore;
  /** Builds the pipeline context for one step try. */
  contextFor(runId: string, log: Logger, onProgress: (event: ProgressEvent) => void, signal: AbortSignal, run: Pick<PipelineContext, 'loadMode' | 'shards' | 'full'>): PipelineContext;
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
  /** Longest wait between reconnection attempts while the database is away (default 5 s). */
  reconnectMaxMs?: number;
  /** How often the lock's session is checked while it is held (default 2 s). */
  lockCheckMs?: number;
  /** Told when a run is over; not awaited (work a load leaves to do while nobody waits for it). */
  afterRun?: (runId: string) => void;
}

/** The run went to another worker while this one had lost the lock: it must not touch it again. */
class RunAbandonedError extends Error {}

/**
 * The embedded orchestrator's worker: takes queued runs from PostgreSQL one at a time and runs
 * the pipeline's steps with retries, a timeout per step, cancellation, live progress and logs.
 * It outlives database restarts: it reconnects with backoff, and a step cut short by an outage or
 * by losing the runner lock is tried again once the lock is back, unless another worker took over.
 */
export class EmbeddedRunner {
  readonly workerId: string;
  private lock: RunnerLock | null = null;
  private listener: { client: pg.PoolClient; close(): void } | null = null;
  /** Runs this worker is executing or settling: never orphans. */
  private readonly active = new Set<string>();
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

  /** Starts the loop in the background. */
  start(): void {
    this.loop ??= this.serve().catch((error: unknown) => {
      this.options.log.log('error', `runner stopped: ${message(error)}`);
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
    if (!(await this.holdLock())) throw new Error('another worker holds the runner lock');
    try {
      for (let run = await this.options.runs.claimNextQueued(this.workerId); run; run = await this.options.runs.claimNextQueued(this.workerId)) {
        await this.execute(run);
      }
    } finally {
      await this.dropLock();
    }
  }

  private async serve(): Promise<void> {
    const { log, pollMs } = this.options;
    let failures = 0;
    try {
      while (!this.stopping) {
        try {
          await this.ensureListener();
          const locked = await this.holdLock();
          if (failures > 0) log.log('info', 'runner: the database is reachable again');
          failures = 0;
          if (!locked) {
            await this.sleep(pollMs * 4);
            continue;
          }
          const paused = this.paused || (await this.options.isPausedByOperator?.()) === true;
          const run = paused ? null : await this.options.runs.claimNextQueued(this.workerId);
          if (run) await this.execute(run);
          else await this.sleep(pollMs);
        } catch (error) {
          if (this.stopping) break;
          failures += 1;
          if (failures === 1) log.log('warn', `runner: ${isDatabaseUnavailable(error) ? 'database unavailable' : 'error'} (${message(error)}); reconnecting with backoff`);
          this.dropListener();
          await this.dropLock();
          await this.sleep(backoffDelay(failures, pollMs, this.options.reconnectMaxMs ?? 5000));
        }
      }
    } finally {
      this.dropListener();
      await this.dropLock();
    }
  }

  /** LISTEN stockflow_runs on a session of its own, opened again after the database came back. */
  private async ensureListener(): Promise<void> {
    if (this.listener) return;
    const client = await this.options.pool.connect();
    let open = true;
    const close = (): void => {
      if (!open) return;
      open = false;
      if (this.listener?.client === client) this.listener = null;
      client.release(true);
    };
    // A checked-out client has no pool error handler: without one, a server shutdown crashes the process.
    client.on('error', () => {
      close();
      this.wake?.();
    });
    client.on('end', close);
    client.on('notification', () => this.wake?.());
    try {
      await client.query('LISTEN stockflow_runs');
    } catch (error) {
      close();
      throw error;
    }
    this.listener = { client, close };
  }

  private dropListener(): void {
    this.listener?.close();
    this.listener = null;
  }

  /**
   * True when this worker holds the runner lock, checked with the server (a lost session holds
   * nothing); takes it when free. Whoever takes it first settles the runs of workers that are gone.
   */
  private async holdLock(): Promise<boolean> {
    if (this.lock && (await this.lock.verify())) return true;
    this.lock = null;
    const lock = await RunnerLock.tryAcquire(this.options.pool, { onLost: (error) => this.onLockLost(error), checkEveryMs: this.options.lockCheckMs ?? 2000 });
    if (!lock) return false;
    this.lock = lock;
    await this.settleOrphans();
    // Settling may have lost the lock again (and taken it back, or not).
    return this.lock?.held === true;
  }

  private onLockLost(error: LockLostError): void {
    // Another worker may take the lock this very moment: the current step is not exclusive any more.
    this.options.log.log('warn', `runner: ${error.message}${this.current ? '; stopping the current step' : ''}`);
    this.current?.abort(error);
    this.wake?.();
  }

  private async dropLock(): Promise<void> {
    const lock = this.lock;
    this.lock = null;
    await lock?.release();
  }

  /** Runs left `running` by a worker that is gone: their cut-short step failed, the failure mailed, the run finished. */
  private async settleOrphans(): Promise<void> {
    const { runs, results, log } = this.options;
    for (const orphan of await runs.takeOverOrphanedRuns(this.workerId, [...this.active])) {
      log.log('warn', `run ${orphan.id} was left running by a stopped worker: marking it failed`);
      this.active.add(orphan.id);
      try {
        await runs.failRunningTasks(orphan.id, ORPHAN_REASON);
        const records = await results.list(orphan.id);
        // A shard's step fails under its own key (load[2/3]), so a retry of the run runs that shard again.
        const step =
          orphan.interruptedSteps.find((key) => isDataStep(parseStepKey(key).step)) ?? DATA_STEPS.find((name) => !records.some((record) => record.step === name && record.status === 'success'));
        const earlier = records.find((record) => record.step === step);
        // Saved once, so a second takeover mails under the same dedupe key (i.e. not again).
        if (step && !(earlier?.status === 'failed' && earlier.error === ORPHAN_REASON)) {
          const now = new Date().toISOString();
          await results.save({ runId: orphan.id, step, status: 'failed', startedAt: earlier?.startedAt ?? now, finishedAt: now, result: null, error: ORPHAN_REASON });
        }
        await this.executeStep(orphan.id, NOTIFY_STEP);
        const { ending } = await finishRecordedRun(runs, results, orphan.id);
        log.log('warn', `run ${orphan.id}: ${ending.status}${ending.error ? ` (${ending.error})` : ''}`);
      } catch (error) {
        if (!(error instanceof RunAbandonedError)) throw error;
        log.log('warn', `run ${orphan.id}: left to another worker (${error.message})`);
      } finally {
        this.active.delete(orphan.id);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
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
    this.active.add(run.id);
    try {
      const outcome = await this.executeDataSteps(run);
      // A cancelled run is not news; success and failure are mailed.
      if (outcome !== 'cancelled' && !this.stopping) await this.executeStep(run.id, NOTIFY_STEP);
      const { ending } = await this.persist(run.id, () =>
        finishRecordedRun(this.options.runs, this.options.results, run.id, {
          cancelled: outcome === 'cancelled' && !this.stopping,
          shutdown: this.stopping ? `the worker ${this.workerId} shut down` : undefined,
        }),
      );
      log.log(ending.status === 'success' ? 'info' : 'warn', `run ${run.id}: ${ending.status}${ending.error ? ` (${ending.error})` : ''}`);
      this.options.afterRun?.(run.id);
    } catch (error) {
      if (!(error instanceof RunAbandonedError)) throw error;
      log.log('warn', `run ${run.id}: left to another worker (${error.message})`);
    } finally {
      this.active.delete(run.id);
    }
  }

  /**
   * discover, then transform and load: once for the whole batch, or per shard when discover split
   * the run (one shard after another here; Airflow runs them side by side). A retried run keeps
   * its successful steps and shards.
   */
  private async executeDataSteps(run: RunView): Promise<StepOutcome> {
    const options = pipelineOptionsOfConf(run.conf);
    const execute = async (step: StepName, shard?: Shard): Promise<StepOutcome> => {
      const previous = await this.persist(run.id, () => this.options.results.get(run.id, stepKeyOf({ shard }, step)));
      if (previous?.status === 'success') return 'success';
      return this.executeStep(run.id, step, options, shard);
    };
    const discovered = await execute('discover');
    if (discovered !== 'success') return discovered;
    const discovery = (await this.persist(run.id, () => this.options.results.get(run.id, 'discover')))?.result as DiscoveryResult | undefined;
    const count = discovery?.shards ?? 1;
    const shards = count > 1 ? allShards(count) : [undefined];
    // Every transform before any load, as the DAG orders them: a run that loads as one (discover's
    // oneLoad) loads every shard's part in shard 1's load.
    for (const step of SHARDED_STEPS) {
      for (const shard of shards) {
        const outcome = await execute(step, shard);
        if (outcome !== 'success') return outcome;
      }
    }
    return 'success';
  }

  /** One step with its tries and a doubling wait between them; a try cut short by an outage does not count. */
  /** The conf's options matter to discover only (it fixes them for the later steps), hence the default. */
  private async executeStep(runId: string, step: StepName, options: Pick<PipelineContext, 'loadMode' | 'shards' | 'full'> = {}, shard?: Shard): Promise<StepOutcome> {
    const { runs, results, retries, backoffMs, stepTimeoutMs, log } = this.options;
    const key = stepKeyOf({ shard }, step);
    // Try numbers go on across retries of the run (a retried run's first try of a step may be 4).
    let lastTry = (await this.persist(runId, () => runs.nextTryNumber(runId, key))) + retries;
    let interruptions = 0;
    for (let retried = 0; ;) {
      await this.ensureOwnership(runId);
      const controller = new AbortController();
      this.current = controller;
      let result: StepTryResult | null = null;
      let unrecorded: unknown = null;
      try {
        result = await runStepTry({
          runs,
          results,
          runId,
          step,
          shard,
          maxTries: lastTry,
          timeoutMs: stepTimeoutMs,
          echo: log,
          signal: controller.signal,
          contextFor: (taskLog, onProgress, signal) => this.options.contextFor(runId, taskLog, onProgress, signal, options),
        });
      } catch (error) {
        // The try could not even be recorded (the database went away under it).
        unrecorded = error;
      } finally {
        this.current = null;
      }
      const lockLost = controller.signal.reason instanceof LockLostError ? controller.signal.reason : null;
      // A connection error counts as an outage only if the lock's session went too (a restart ends
      // every session): an unreachable S3 endpoint says "ECONNREFUSED" as well.
      const cutShort = lockLost !== null || isDatabaseUnavailable(unrecorded) || (result?.outcome === 'failed' && isOutageMessage(result.error) && !(this.lock !== null && (await this.lock.verify())));
      if (cutShort && !this.stopping && interruptions < MAX_INTERRUPTIONS) {
        interruptions += 1;
        const reason = lockLost?.message ?? (unrecorded !== null ? message(unrecorded) : (result?.error ?? 'interrupted'));
        log.log('warn', `run ${runId}: ${key} was cut short (${reason}); trying it again once the database and the runner lock are back`);
        await this.persist(runId, () => runs.markTriesInterrupted(runId, key, result?.tryNumber ?? null, reason));
        lastTry += 1;
        continue;
      }
      if (unrecorded !== null || result === null) throw unrecorded;
      if (!result.retrying) return result.outcome;
      const delay = backoffMs * 2 ** retried;
      retried += 1;
      log.log('warn', `run ${runId}: ${key} try ${result.tryNumber} failed; retrying in ${Math.round(delay / 1000)} s`);
      await this.sleep(delay);
      if (this.stopping || (await this.persist(runId, () => runs.isCancelRequested(runId)))) return 'cancelled';
    }
  }

  /** A bookkeeping read or write for a run this worker executes: done once the database and the lock are back. */
  private async persist<T>(runId: string, work: () => Promise<T>): Promise<T> {
    for (;;) {
      await this.ensureOwnership(runId);
      try {
        return await work();
      } catch (error) {
        if (!isDatabaseUnavailable(error) || this.stopping) throw error;
      }
    }
  }

  /**
   * Before a step or a write: the lock must still be ours (checked with the server) and the run
   * still ours. Waits out an outage with backoff; RunAbandonedError when another worker took over.
   */
  private async ensureOwnership(runId: string): Promise<void> {
    const { runs, log, pollMs } = this.options;
    if (this.lock && (await this.lock.verify())) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        if (!(await this.holdLock())) throw new RunAbandonedError('another worker holds the runner lock now');
        if (!(await runs.isRunOwnedBy(runId, this.workerId))) throw new RunAbandonedError('another worker settled it meanwhile');
        if (attempt > 1) log.log('info', `run ${runId}: the database and the runner lock are back`);
        return;
      } catch (error) {
        if (error instanceof RunAbandonedError || !isDatabaseUnavailable(error) || this.stopping) throw error;
        if (attempt === 1) log.log('warn', `run ${runId}: waiting for the database (${message(error)})`);
        await this.sleep(backoffDelay(attempt, pollMs, this.options.reconnectMaxMs ?? 5000));
      }
    }
  }
}

function isDataStep(step: string): step is (typeof DATA_STEPS)[number] {
  return (DATA_STEPS as readonly string[]).includes(step);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export { RunCancelledError, StepTimeoutError } from './step-try';
